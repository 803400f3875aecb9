package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/auth"
)

// h5Dir is the storefront's source folder, from this package's directory.
const h5Dir = "../../web/h5"

// requireStorefront returns what the browser test needs (the built app,
// playwright-core, node and Debian's chromium). `make test` installs and
// builds them first (web/h5/scripts/ensure-deps.sh); a bare `go test` on a
// machine without them skips, except in CI, where a missing piece fails.
func requireStorefront(t *testing.T) (dist, node string) {
	t.Helper()
	abs, err := filepath.Abs(h5Dir)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	if _, err := os.Stat(filepath.Join(abs, "dist", "index.html")); err != nil {
		missing = append(missing, "web/h5/dist (make web)")
	}
	if _, err := os.Stat(filepath.Join(abs, "node_modules", "playwright-core")); err != nil {
		missing = append(missing, "web/h5/node_modules (npm ci)")
	}
	node, err = exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	if _, err := exec.LookPath("chromium"); err != nil {
		missing = append(missing, "chromium (apt-get install chromium)")
	}
	if len(missing) > 0 {
		msg := "the browser test needs " + strings.Join(missing, ", ") + "; `make test` installs them"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return filepath.Join(abs, "dist"), node
}

// TestStorefrontInBrowser walks the H5 storefront in headless Chromium on a
// phone-sized screen against the whole suite, with the gateway serving the
// built app (web/h5/e2e/shop.mjs): as a guest, search 连衣裙 with suggestions,
// open a product, pick a SKU and add it to the cart; log in from the cart
// with the SMS code shown in dev mode and find the cart merged; sign in for
// points; keep shopping through a stale access token; add an address, check
// out with points, pay in the sandbox and see the order paid; an operator
// ships it through the admin API and the shopper sees the shipment and
// confirms receipt. Screenshots land in web/h5/test-output. The REST API
// then confirms what the pages showed.
func TestStorefrontInBrowser(t *testing.T) {
	dist, node := requireStorefront(t)
	shop := startShop(t, "", map[string]string{"SIYU_WEB_DIR": dist})
	shop.seed(t)
	owner := shop.token(t, auth.Identity{Subject: "owner-h5", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	const phone = "13900007001"
	base := "http://" + shop.HTTPAddr

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// The shopper registers in the browser; as soon as the member exists, an
	// operator grants points so that checkout can spend a visible amount.
	granted := make(chan error, 1)
	go func() { granted <- grantWhenRegistered(ctx, base, owner, phone, 1000) }()

	const tracking = "SF7001H5TEST"
	cmd := exec.CommandContext(ctx, node, "e2e/shop.mjs")
	cmd.Dir = h5Dir
	cmd.Env = append(os.Environ(), "BASE_URL="+base, "PHONE="+phone, "MIN_POINTS=1000", "AWAIT_SHIPPING="+tracking)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The script says when the shopper has seen the order paid; the
	// operator then ships it through the admin API, and the script goes on
	// to see the shipment and confirm receipt.
	var walk struct {
		OrderID string `json:"order_id"`
		Total   string `json:"total"`
		Title   string `json:"title"`
		Status  string `json:"status"`
	}
	var out strings.Builder
	var shipErr error
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if id, ok := strings.CutPrefix(line, "PAID "); ok {
			shipErr = ship(ctx, base, owner, id, tracking)
		} else if strings.HasPrefix(line, "{") {
			_ = json.Unmarshal([]byte(line), &walk)
		}
	}
	err = cmd.Wait()
	// A walk that ended before the shopper registered leaves the grant
	// waiting: stop it rather than wait out the deadline.
	cancel()
	if gerr := <-granted; gerr != nil && err == nil {
		t.Errorf("granting points: %v", gerr)
	}
	if shipErr != nil {
		t.Errorf("shipping: %v", shipErr)
	}
	if err != nil {
		t.Fatalf("browser walk: %v\n%s%s", err, stderr.String(), out.String())
	}
	t.Logf("browser steps:\n%s", stderr.String())
	if walk.OrderID == "" || walk.Status != "received" {
		t.Fatalf("the walk reported no received order: %s", out.String())
	}
	// What the pages showed is what the API holds: the order is paid, its
	// total is the one the checkout page displayed, and points paid part of it.
	found := shop.api.expect(t, "GET", "/v1/admin/members?phone="+phone, owner, "", 200)
	members := anySlice(found["members"])
	if len(members) != 1 {
		t.Fatalf("members with phone %s: %v", phone, found)
	}
	shopper := shop.token(t, auth.Identity{Subject: members[0].(map[string]any)["id"].(string), Kind: auth.KindMember})
	order := shop.api.expect(t, "GET", "/v1/orders/"+walk.OrderID, shopper, "", 200)
	if order["status"] != "ORDER_STATUS_RECEIVED" || order["tracking_number"] != tracking {
		t.Errorf("order %s is %v with tracking %v; the pages showed it shipped with %s and received", walk.OrderID, order["status"], order["tracking_number"], tracking)
	}
	if order["pay_time"] == nil || order["pay_time"] == "" {
		t.Errorf("order %s has no pay time; the pages showed it paid", walk.OrderID)
	}
	if got := "¥" + yuanOf(order["total_fen"]); got != walk.Total {
		t.Errorf("order total %s, checkout page showed %s", got, walk.Total)
	}
	if fmt.Sprint(order["points_used"]) == "0" || order["points_used"] == nil {
		t.Errorf("the order used no points: %v", order["points_used"])
	}
}

// grantWhenRegistered waits for the member with phone to exist and adds
// points to their account through the admin API.
func grantWhenRegistered(ctx context.Context, base, owner, phone string, points int) error {
	call := func(method, path, body string) (int, map[string]any, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+owner)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m, nil
	}
	for {
		status, found, err := call("GET", "/v1/admin/members?phone="+url.QueryEscape(phone), "")
		if err != nil {
			return err
		}
		if status != 200 {
			return fmt.Errorf("member search: HTTP %d %v", status, found)
		}
		if ms := anySlice(found["members"]); len(ms) == 1 {
			id, _ := ms[0].(map[string]any)["id"].(string)
			body := fmt.Sprintf(`{"request_id":"h5-grant-%s","points":%d,"reason":"浏览器测试"}`, id, points)
			if status, got, err := call("POST", "/v1/admin/members/"+id+"/points:adjust", body); err != nil || status != 200 {
				return fmt.Errorf("grant: HTTP %d %v %v", status, got, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no member with phone %s registered: %w", phone, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ship has the operator ship an order through the admin API.
func ship(ctx context.Context, base, owner, orderID, tracking string) error {
	body := fmt.Sprintf(`{"carrier":"shunfeng","tracking_number":%q}`, tracking)
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/admin/orders/"+url.PathEscape(orderID)+":ship", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+owner)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("HTTP %d %s", resp.StatusCode, b)
	}
	return nil
}

// yuanOf formats an int64-as-string fen amount as the storefront does.
func yuanOf(fen any) string {
	var n int64
	fmt.Sscan(fmt.Sprint(fen), &n)
	return fmt.Sprintf("%d.%02d", n/100, n%100)
}
