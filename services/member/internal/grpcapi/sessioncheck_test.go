package grpcapi_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"siyu.dev/pkg/auth"
	memberv1 "siyu.dev/proto/siyu/member/v1"
)

// An access token outlives its session by up to its TTL; CheckSession is how
// the gateway learns the session ended.
func TestCheckSession(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	check := func(tok string) error {
		_, err := e.members.CheckSession(bearer(ctx, tok), &memberv1.CheckSessionRequest{})
		return err
	}

	alice := e.login(t, "13800138011")
	if err := check(alice.AccessToken); err != nil {
		t.Fatalf("live session: %v", err)
	}
	if _, err := e.auth.Logout(ctx, &memberv1.LogoutRequest{RefreshToken: alice.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	expect(t, "after logout", check(alice.AccessToken), codes.Unauthenticated, "SESSION_REVOKED")

	bob := e.login(t, "13800138012")
	if _, err := e.members.BlockMember(e.adminToken(t, auth.RoleOwner), &memberv1.BlockMemberRequest{MemberId: bob.Member.Id}); err != nil {
		t.Fatal(err)
	}
	expect(t, "blocked member", check(bob.AccessToken), codes.Unauthenticated, "SESSION_REVOKED")

	_, err := e.members.CheckSession(ctx, &memberv1.CheckSessionRequest{})
	expect(t, "no token", err, codes.Unauthenticated, "TOKEN_MISSING")
	// Operators minted without a session (and services) have nothing to end.
	if _, err := e.members.CheckSession(e.adminToken(t, auth.RoleOperator), &memberv1.CheckSessionRequest{}); err != nil {
		t.Errorf("token without a session: %v", err)
	}
	// A session id that is not the token subject's own is refused.
	carol := e.login(t, "13800138013")
	forged, _, _ := e.issuer.Issue(auth.Identity{Subject: carol.Member.Id, Kind: auth.KindMember, SessionID: "s_not_carols"}, time.Minute)
	expect(t, "unknown session", check(forged), codes.Unauthenticated, "SESSION_REVOKED")
}
