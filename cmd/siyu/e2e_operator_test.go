package main

import (
	"fmt"
	"testing"
)

// TestOperatorSessionsThroughGateway: operator login gives a rotating
// refresh token, a burst of wrong passwords locks the username on that
// network, and an owner's revocation locks the operator's access token out
// at the gateway.
func TestOperatorSessionsThroughGateway(t *testing.T) {
	shop := startShop(t, "", map[string]string{"SIYU_SESSION_CHECK_TTL": "1ms"})
	seeded := shop.seed(t)
	api := shop.api
	owner := shop.operator(t, seeded)
	api.expect(t, "POST", "/v1/admin/operators", owner, `{"username":"ops-li","password":"correct horse battery","roles":["operator"]}`, 200)

	login := api.expect(t, "POST", "/v1/admin/auth/login", "", `{"username":"ops-li","password":"correct horse battery"}`, 200)
	access, refresh := login["access_token"].(string), login["refresh_token"].(string)
	if refresh == "" {
		t.Fatalf("operator login without a refresh token: %v", login)
	}
	renewed := api.expect(t, "POST", "/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, refresh), 200)
	access = renewed["access_token"].(string)
	api.expect(t, "GET", "/v1/admin/products", access, "", 200)

	sessions := api.expect(t, "GET", "/v1/admin/operators/ops-li/sessions", owner, "", 200)
	if n := len(anySlice(sessions["sessions"])); n != 1 {
		t.Fatalf("operator sessions: %v", sessions)
	}
	api.expectReason(t, "POST", "/v1/admin/operators/ops-li/sessions:revoke", access, `{}`, 403, "ROLE_REQUIRED")
	api.expect(t, "POST", "/v1/admin/operators/ops-li/sessions:revoke", owner, `{}`, 200)
	api.expectReason(t, "GET", "/v1/admin/products", access, "", 401, "SESSION_REVOKED")
	api.expectReason(t, "POST", "/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, renewed["refresh_token"]), 401, "REFRESH_TOKEN_INVALID")

	// Five wrong passwords, then even the right one waits.
	for range 5 {
		api.expectReason(t, "POST", "/v1/admin/auth/login", "", `{"username":"ops-li","password":"wrong"}`, 401, "ADMIN_CREDENTIALS_INVALID")
	}
	api.expectReason(t, "POST", "/v1/admin/auth/login", "", `{"username":"ops-li","password":"correct horse battery"}`, 429, "ADMIN_LOGIN_LOCKED")
}
