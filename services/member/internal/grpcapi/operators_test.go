package grpcapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/domain"
)

// from is a call arriving through the gateway from client address ip.
func from(ip string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), auth.ClientIPKey, ip)
}

// Operators have the members' session model: a short access token, a
// rotating refresh token, logout, and revocation by an owner.
func TestOperatorSessions(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	pw, _, err := e.svc.EnsureAdmin(ctx, "ops-wang", []string{auth.RoleOperator})
	if err != nil {
		t.Fatal(err)
	}
	owner := e.adminToken(t, auth.RoleOwner)
	login := func() *memberv1.AdminLoginResponse {
		t.Helper()
		res, err := e.auth.AdminLogin(from("10.0.0.1"), &memberv1.AdminLoginRequest{Username: "ops-wang", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	live := func(access string) error {
		_, err := e.members.CheckSession(bearer(ctx, access), &memberv1.CheckSessionRequest{})
		return err
	}

	first := login()
	if first.RefreshToken == "" || first.AccessTokenExpireTime.AsTime().Sub(e.clk.Now()) > domain.RefreshTTL || first.AccessTokenExpireTime.AsTime().Sub(e.clk.Now()).Minutes() > 15 {
		t.Fatalf("operator login: %v", first)
	}
	rotated, err := e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: first.RefreshToken})
	if err != nil || rotated.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh: %v %v", rotated, err)
	}
	if err := live(rotated.AccessToken); err != nil {
		t.Fatalf("rotated operator token: %v", err)
	}
	// A reused refresh token revokes the session (it leaked).
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: first.RefreshToken})
	expect(t, "reused operator refresh token", err, codes.Unauthenticated, "REFRESH_TOKEN_REUSED")
	expect(t, "access token of the leaked session", live(rotated.AccessToken), codes.Unauthenticated, "SESSION_REVOKED")

	// Logout ends the session.
	second := login()
	if _, err := e.auth.Logout(ctx, &memberv1.LogoutRequest{RefreshToken: second.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	expect(t, "after logout", live(second.AccessToken), codes.Unauthenticated, "SESSION_REVOKED")

	// An owner sees and ends an operator's sessions.
	third, fourth := login(), login()
	list, err := e.members.ListOperatorSessions(owner, &memberv1.ListOperatorSessionsRequest{Username: "ops-wang"})
	if err != nil || len(list.Sessions) != 2 || list.Sessions[0].Method != "password" {
		t.Fatalf("operator sessions: %v %v", list, err)
	}
	if _, err := e.members.RevokeOperatorSessions(owner, &memberv1.RevokeOperatorSessionsRequest{Username: "ops-wang"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*memberv1.AdminLoginResponse{third, fourth} {
		expect(t, "revoked by the owner", live(s.AccessToken), codes.Unauthenticated, "SESSION_REVOKED")
		_, err := e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: s.RefreshToken})
		expect(t, "refresh after revocation", err, codes.Unauthenticated, "REFRESH_TOKEN_INVALID")
	}
	_, err = e.members.RevokeOperatorSessions(owner, &memberv1.RevokeOperatorSessionsRequest{Username: "nobody"})
	expect(t, "unknown operator", err, codes.NotFound, "OPERATOR_NOT_FOUND")
	_, err = e.members.RevokeOperatorSessions(bearer(ctx, login().AccessToken), &memberv1.RevokeOperatorSessionsRequest{Username: "ops-wang"})
	expect(t, "an operator revoking", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.ListOperatorSessions(bearer(ctx, e.login(t, "13900000321").AccessToken), &memberv1.ListOperatorSessionsRequest{Username: "ops-wang"})
	expect(t, "a member listing", err, codes.PermissionDenied, "ROLE_REQUIRED")
}

// TestOperatorLoginThrottling: attempts are counted before the password is
// compared, so a burst checks exactly the limit; the lock is per username
// and network; a network the owner signed in from before stays open when
// the username is attacked from everywhere else.
func TestOperatorLoginThrottling(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	pw, _, err := e.svc.EnsureAdmin(ctx, "boss", []string{auth.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	try := func(ip, user, password string) error {
		_, err := e.auth.AdminLogin(from(ip), &memberv1.AdminLoginRequest{Username: user, Password: password})
		return err
	}
	// The owner signs in once from the office: that network is trusted.
	if err := try("10.1.1.1", "boss", pw); err != nil {
		t.Fatal(err)
	}

	// 100 simultaneous wrong guesses from one address: exactly five reach
	// the password check.
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			err := try("10.6.6.6", "boss", fmt.Sprintf("guess-%d", i))
			mu.Lock()
			counts[errs.Reason(err)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts["ADMIN_CREDENTIALS_INVALID"] != domain.PairAttempts || counts["ADMIN_LOGIN_LOCKED"] != 100-domain.PairAttempts {
		t.Fatalf("burst of 100: %v", counts)
	}
	err = try("10.6.6.6", "boss", pw)
	expect(t, "the right password from the locked address", err, codes.ResourceExhausted, "ADMIN_LOGIN_LOCKED")
	if info, _ := errs.Info(err); info.GetMetadata()["retry_after_seconds"] == "" {
		t.Error("no retry_after_seconds")
	}
	// Unknown usernames are throttled the same way: a lock says nothing
	// about which usernames exist.
	for range domain.PairAttempts {
		expect(t, "unknown username", try("10.6.6.7", "ghost", "x"), codes.Unauthenticated, "ADMIN_CREDENTIALS_INVALID")
	}
	expect(t, "unknown username, sixth try", try("10.6.6.7", "ghost", "x"), codes.ResourceExhausted, "ADMIN_LOGIN_LOCKED")

	// Guesses from many addresses lock the username for untrusted networks
	// after UserAttempts in the window (the 5 above count too)...
	for i := 0; i < domain.UserAttempts; i++ {
		_ = try(fmt.Sprintf("10.7.%d.%d", i/4, i%4), "boss", "wrong")
	}
	expect(t, "a new network for the attacked username", try("10.8.0.1", "boss", pw), codes.ResourceExhausted, "ADMIN_LOGIN_LOCKED")
	// ...but the owner's office network still signs in.
	if err := try("10.1.1.1", "boss", pw); err != nil {
		t.Fatalf("the owner from a trusted network: %v", err)
	}
	// The window passes and the username opens again.
	e.clk.Advance(domain.UserWindow)
	if err := try("10.8.0.1", "boss", pw); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
