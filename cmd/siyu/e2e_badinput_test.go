package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"siyu.dev/pkg/auth"
)

// openAPI is the part of the published Swagger document the sweep reads.
type openAPI struct {
	Paths       map[string]map[string]operation `json:"paths"`
	Definitions map[string]*schema              `json:"definitions"`
}

type operation struct {
	Parameters []struct {
		Name   string  `json:"name"`
		In     string  `json:"in"`
		Type   string  `json:"type"`
		Format string  `json:"format"`
		Schema *schema `json:"schema"`
	} `json:"parameters"`
}

type schema struct {
	Ref                  string             `json:"$ref"`
	Type                 string             `json:"type"`
	Format               string             `json:"format"`
	Enum                 []any              `json:"enum"`
	Items                *schema            `json:"items"`
	Properties           map[string]*schema `json:"properties"`
	AdditionalProperties *schema            `json:"additionalProperties"`
}

// value builds a JSON value for s: hostile (extremes, markup, control
// characters, very long text) or plausible (small, well-formed values that
// get past parsing into the services' rules).
func (d *openAPI) value(s *schema, hostile bool, depth int) any {
	if s == nil || depth > 4 {
		return nil
	}
	if s.Ref != "" {
		return d.value(d.Definitions[strings.TrimPrefix(s.Ref, "#/definitions/")], hostile, depth)
	}
	switch {
	case len(s.Enum) > 0:
		return s.Enum[len(s.Enum)-1]
	case s.Properties != nil:
		obj := map[string]any{}
		for name, p := range s.Properties {
			if v := d.value(p, hostile, depth+1); v != nil {
				obj[name] = v
			}
		}
		return obj
	case s.AdditionalProperties != nil:
		return map[string]any{"k": d.value(s.AdditionalProperties, hostile, depth+1)}
	case s.Type == "array":
		return []any{d.value(s.Items, hostile, depth+1), d.value(s.Items, hostile, depth+1)}
	case s.Type == "boolean":
		return true
	case s.Type == "integer":
		if hostile {
			return -2147483648
		}
		return 1
	case s.Type == "number":
		if hostile {
			return -1e308
		}
		return 1.5
	}
	return scalar(s.Format, hostile)
}

// scalar is a string-encoded value of format (int64s and times are strings in JSON).
func scalar(format string, hostile bool) string {
	switch format {
	case "int64":
		if hostile {
			return "-9223372036854775808"
		}
		return "1"
	case "uint64":
		if hostile {
			return "18446744073709551615"
		}
		return "1"
	case "date-time":
		if hostile {
			return "9999-12-31T23:59:59Z"
		}
		return "2026-01-01T00:00:00Z"
	case "byte":
		return "AAAA"
	}
	if hostile {
		return "<script>alert(1)</script>\u0000" + strings.Repeat("長", 600) + "'; db.dropDatabase(); //"
	}
	return "x"
}

// TestNoRouteAnswers500 walks every route of the published OpenAPI document
// as a caller without a token, a shopper and an owner, with malformed JSON,
// wrong types, bodies and query parameters generated from each route's own
// schema (empty, plausible and hostile), and hostile path ids: every answer
// must be a clear 4xx or a success, never a 5xx, and the shop must still be
// ready afterwards.
func TestNoRouteAnswers500(t *testing.T) {
	// Rate limits would answer most of the sweep with 429 before a service saw it.
	shop := startShop(t, "", map[string]string{"SIYU_RATE_IP_RPS": "100000", "SIYU_RATE_IP_BURST": "100000", "SIYU_RATE_MEMBER_RPS": "100000", "SIYU_RATE_MEMBER_BURST": "100000",
		"SIYU_RATE_FLASH_MEMBER_RPS": "0", "SIYU_RATE_FLASH_IP_RPS": "0"})
	api := shop.api
	tokens := map[string]string{
		"anonymous": "",
		"member":    api.login(t, "13900000777").access,
		"owner":     shop.token(t, auth.Identity{Subject: "owner-qa", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}}),
	}
	var doc openAPI
	resp, body := api.do("GET", "/openapi.json", "", "")
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil || len(doc.Paths) < 50 {
		t.Fatalf("openapi.json: %d, %d paths", resp.StatusCode, len(doc.Paths))
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	calls, limited := 0, 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			bodies := []string{`{bad json`, `[]`, `"a string"`, `{"unknown_field": 1}`, `{}`}
			queries := []string{""}
			for _, hostile := range []bool{false, true} {
				q := url.Values{}
				for _, p := range op.Parameters {
					switch p.In {
					case "body":
						b, _ := json.Marshal(doc.value(p.Schema, hostile, 0))
						bodies = append(bodies, string(b))
					case "query":
						v := scalar(p.Format, hostile)
						if p.Type == "integer" {
							v = map[bool]string{true: "2147483648", false: "1"}[hostile]
						}
						q.Set(p.Name, v)
					}
				}
				queries = append(queries, "?"+q.Encode())
			}
			// Bytes that are not UTF-8 in every query parameter and every
			// string of a body (protobuf strings must be UTF-8).
			var bad []string
			for _, p := range op.Parameters {
				if p.In == "query" {
					bad = append(bad, p.Name+"=%ff%fe")
				}
			}
			if len(bad) > 0 {
				queries = append(queries, "?"+strings.Join(bad, "&"))
			}
			bodies = append(bodies, "{\"name\":\"\xff\xfe\",\"id\":\"a\xc0\xafb\"}")
			for _, id := range []string{"x", "..%2F..%2Fetc", strings.Repeat("長", 300), "%ff", "ok%C3%28"} {
				p := param.ReplaceAllString(path, id)
				for who, tok := range tokens {
					try := func(q, b string) {
						calls++
						resp, got := api.do(method, p+q, tok, b)
						// The gateway's own limits (RATE_LIMITED); a service's
						// quota (a locked operator login) did reach the service.
						if resp.StatusCode == http.StatusTooManyRequests && strings.Contains(got, `"RATE_LIMITED"`) {
							limited++
						}
						if resp.StatusCode >= 500 {
							t.Errorf("%s %s%.80s as %s with %.80q: HTTP %d %.200s", method, p, q, who, b, resp.StatusCode, got)
						}
					}
					if method == http.MethodGet || method == http.MethodDelete {
						for _, q := range queries {
							try(q, "")
						}
						continue
					}
					for _, b := range bodies {
						try("", b)
					}
				}
			}
		}
	}
	t.Logf("%d requests over %d paths", calls, len(doc.Paths))
	if limited > 0 {
		t.Errorf("%d requests were rate limited, so they never reached a service", limited)
	}
	api.expect(t, "GET", "/readyz", "", "", 200)
}
