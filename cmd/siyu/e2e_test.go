package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"siyu.dev/cmd/siyu/internal/seed"
	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
)

// TestThinPathThroughGateway runs the whole suite in-process (embedded NATS
// and store, six services on loopback gRPC, the gateway) and walks the
// foundation's thin path through the REST edge only.
func TestThinPathThroughGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	shop := startShop(t, "")
	s := shop.Suite
	res := shop.seed(t)
	if res.catalog.Created == 0 || !res.adminCreated || res.adminPassword == "" {
		t.Fatalf("first seed should create the shop and the admin: %+v", res)
	}
	api := shop.api

	t.Run("health and docs", func(t *testing.T) {
		api.expect(t, "GET", "/healthz", "", "", 200)
		api.expect(t, "GET", "/readyz", "", "", 200)
		doc := api.expect(t, "GET", "/openapi.json", "", "", 200)
		if _, ok := doc["paths"].(map[string]any)["/v1/products"]; !ok {
			t.Errorf("openapi.json has no /v1/products path")
		}
		resp, body := api.do("GET", "/docs", "", "")
		if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(body), "<html") {
			t.Errorf("/docs: %d %.80s", resp.StatusCode, body)
		}
	})

	alice := api.login(t, "13900000001")
	bob := api.login(t, "13900000002")

	t.Run("me", func(t *testing.T) {
		me := api.expect(t, "GET", "/v1/members/me", alice.access, "", 200)
		if me["id"] != alice.memberID || me["phone"] != "13900000001" {
			t.Errorf("me = %v, want alice with her full phone", me)
		}
	})

	t.Run("tokens are required and checked", func(t *testing.T) {
		api.expectReason(t, "GET", "/v1/members/me", "", "", 401, "")
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
		forged, _, _ := auth.NewIssuer(other, "siyu", clock.System).Issue(auth.Identity{Subject: alice.memberID, Kind: auth.KindMember}, time.Hour)
		api.expectReason(t, "GET", "/v1/members/me", forged, "", 401, "TOKEN_INVALID")
		priv, err := auth.ParsePrivateKeyPEM(s.PrivateKeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		past := clock.NewFake(time.Now().Add(-2 * time.Hour))
		expired, _, _ := auth.NewIssuer(priv, "siyu", past).Issue(auth.Identity{Subject: alice.memberID, Kind: auth.KindMember}, time.Minute)
		api.expectReason(t, "GET", "/v1/members/me", expired, "", 401, "TOKEN_EXPIRED")
		api.expectReason(t, "GET", "/v1/members/me", "not-a-jwt", "", 401, "TOKEN_INVALID")
	})

	t.Run("a shopper cannot read another member", func(t *testing.T) {
		resp, _ := api.do("GET", "/v1/admin/members/"+bob.memberID, alice.access, "")
		if resp.StatusCode != 403 && resp.StatusCode != 404 {
			t.Errorf("alice reading bob: HTTP %d, want 403 or 404", resp.StatusCode)
		}
	})

	t.Run("refresh rotates and detects reuse", func(t *testing.T) {
		body := fmt.Sprintf(`{"refresh_token":%q}`, alice.refresh)
		first := api.expect(t, "POST", "/v1/auth/refresh", "", body, 200)
		next, _ := first["refresh_token"].(string)
		if next == "" || next == alice.refresh || first["access_token"] == "" {
			t.Fatalf("refresh did not rotate: %v", first)
		}
		api.expectReason(t, "POST", "/v1/auth/refresh", "", body, 401, "REFRESH_TOKEN_REUSED")
		// Reuse revoked the whole session: the rotated token is dead too.
		api.expect(t, "POST", "/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, next), 401)
	})

	t.Run("products page by page", func(t *testing.T) {
		seen := map[string]bool{}
		token := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			page := api.expect(t, "GET", "/v1/products?page_size=20&page_token="+token, "", "", 200)
			for _, p := range page["products"].([]any) {
				id := p.(map[string]any)["id"].(string)
				if seen[id] {
					t.Fatalf("product %s on two pages", id)
				}
				seen[id] = true
			}
			token, _ = page["next_page_token"].(string)
			if token == "" {
				break
			}
		}
		if len(seen) != seed.ProductCount() {
			t.Errorf("listed %d products, seeded %d", len(seen), seed.ProductCount())
		}
		p := api.expect(t, "GET", "/v1/products/p-0001", "", "", 200)
		if skus, _ := p["skus"].([]any); len(skus) == 0 || p["title"] == "" {
			t.Errorf("product detail without SKUs or title: %v", p)
		}
		api.expectReason(t, "GET", "/v1/products/p-9999", "", "", 404, "PRODUCT_NOT_FOUND")
	})

	t.Run("bad input is a clear 4xx, never a 500", func(t *testing.T) {
		cases := []struct {
			name, method, path, body string
			want                     int
		}{
			{"malformed json", "POST", "/v1/auth/sms-codes", `{"phone":`, 400},
			{"wrong type", "POST", "/v1/auth/sms-codes", `{"phone":12345}`, 400},
			{"unknown field", "POST", "/v1/auth/sms-codes", `{"phone":"13900000009","admin":true}`, 400},
			{"invalid phone", "POST", "/v1/auth/sms-codes", `{"phone":"12"}`, 400},
			{"oversized body", "POST", "/v1/auth/sms-codes", `{"phone":"` + strings.Repeat("1", 2<<20) + `"}`, 413},
			{"negative page size", "GET", "/v1/products?page_size=-1", "", 400},
			{"page size not a number", "GET", "/v1/products?page_size=abc", "", 400},
			{"garbage page token", "GET", "/v1/products?page_token=%%%zz", "", 400},
			{"forged page token", "GET", "/v1/products?page_token=bm90LWEtdG9rZW4", "", 400},
			{"unknown route", "GET", "/v1/nothing-here", "", 404},
			{"wrong code", "POST", "/v1/auth/sms-login", `{"phone":"13900000001","code":"000000"}`, 400},
		}
		for _, c := range cases {
			resp, body := api.do(c.method, c.path, "", c.body)
			if resp.StatusCode != c.want {
				t.Errorf("%s: HTTP %d, want %d (%.120s)", c.name, resp.StatusCode, c.want, body)
			}
			if !json.Valid([]byte(body)) {
				t.Errorf("%s: body is not JSON: %.120s", c.name, body)
			}
		}
		huge := api.expect(t, "GET", "/v1/products?page_size=1000000", "", "", 200)
		if n := len(huge["products"].([]any)); n > 100 {
			t.Errorf("page_size 1000000 returned %d products, want at most 100", n)
		}
	})

	t.Run("the seeded admin reads members with full phones", func(t *testing.T) {
		login := api.expect(t, "POST", "/v1/admin/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, res.adminUser, res.adminPassword), 200)
		admin, _ := login["access_token"].(string)
		m := api.expect(t, "GET", "/v1/admin/members/"+bob.memberID, admin, "", 200)
		if m["phone"] != "13900000002" {
			t.Errorf("owner sees phone %v", m["phone"])
		}
		api.expectReason(t, "POST", "/v1/admin/auth/login", "", `{"username":"admin","password":"wrong"}`, 401, "ADMIN_CREDENTIALS_INVALID")
	})

	t.Run("seeding again changes nothing", func(t *testing.T) {
		again, err := seedSuite(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if again.catalog.Created != 0 || again.promotions.Created != 0 || again.adminCreated {
			t.Errorf("second seed created %d entities and %d promotions, admin created %v", again.catalog.Created, again.promotions.Created, again.adminCreated)
		}
	})
}

type client struct {
	t    *testing.T
	base string
}

type session struct{ access, refresh, memberID string }

func (c *client) do(method, path, token, body string) (*http.Response, string) {
	c.t.Helper()
	var hdr map[string]string
	if token != "" {
		hdr = map[string]string{"Authorization": "Bearer " + token}
	}
	return c.doHeaders(method, path, body, hdr)
}

// doHeaders sends body with the given headers (and no token).
func (c *client) doHeaders(method, path, body string, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) expect(t *testing.T, method, path, token, body string, want int) map[string]any {
	t.Helper()
	resp, b := c.do(method, path, token, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: HTTP %d, want %d: %.300s", method, path, resp.StatusCode, want, b)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %.200s", method, path, b)
	}
	return out
}

// expectReason also checks the google.rpc.ErrorInfo reason in the error body.
func (c *client) expectReason(t *testing.T, method, path, token, body string, want int, reason string) {
	t.Helper()
	st := c.expect(t, method, path, token, body, want)
	if reason == "" {
		return
	}
	details, _ := st["details"].([]any)
	for _, d := range details {
		if m, _ := d.(map[string]any); m["reason"] == reason {
			return
		}
	}
	t.Errorf("%s %s: reason %s not in %v", method, path, reason, st)
}

func (c *client) login(t *testing.T, phone string) session {
	t.Helper()
	sent := c.expect(t, "POST", "/v1/auth/sms-codes", "", fmt.Sprintf(`{"phone":%q}`, phone), 200)
	code, _ := sent["dev_code"].(string)
	if len(code) != 6 {
		t.Fatalf("dev_code = %q; SIYU_DEV_SMS_ECHO should return it", code)
	}
	got := c.expect(t, "POST", "/v1/auth/sms-login", "", fmt.Sprintf(`{"phone":%q,"code":%q}`, phone, code), 200)
	m, _ := got["member"].(map[string]any)
	s := session{access: fmt.Sprint(got["access_token"]), refresh: fmt.Sprint(got["refresh_token"])}
	if m != nil {
		s.memberID, _ = m["id"].(string)
	}
	if s.access == "" || s.refresh == "" || s.memberID == "" {
		t.Fatalf("login response incomplete: %v", got)
	}
	return s
}
