package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
)

func keys(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey) {
	privPEM, pubPEM, err := GenerateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParsePrivateKeyPEM(privPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKeyPEM(strings.ReplaceAll(pubPEM, "\n", `\n`)) // .env style escapes
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func TestVerify(t *testing.T) {
	priv, pub := keys(t)
	otherPriv, _ := keys(t)
	clk := clock.NewFake(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	iss := NewIssuer(priv, "siyu", clk)
	v := NewVerifier(pub, "siyu", clk)
	good, _, _ := iss.Issue(Identity{Subject: "m1", Kind: KindMember, SessionID: "s1"}, time.Minute)
	forged, _, _ := NewIssuer(otherPriv, "siyu", clk).Issue(Identity{Subject: "m1", Kind: KindMember}, time.Minute)
	wrongIss, _, _ := NewIssuer(priv, "evil", clk).Issue(Identity{Subject: "m1", Kind: KindMember}, time.Minute)
	noKind, _, _ := iss.Issue(Identity{Subject: "m1"}, time.Minute)
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "m1", "iss": "siyu", "knd": "member", "exp": clk.Now().Add(time.Hour).Unix()}).SignedString([]byte(pub))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"m1","iss":"siyu","knd":"admin","exp":9999999999}`)) + "."

	id, err := v.Verify(good)
	if err != nil || id.Subject != "m1" || id.Kind != KindMember || id.SessionID != "s1" {
		t.Fatalf("good token: %+v %v", id, err)
	}
	for name, tok := range map[string]string{"forged": forged, "wrong issuer": wrongIss, "no kind": noKind, "HS256 with public key": hs, "alg none": none, "garbage": "abc"} {
		if _, err := v.Verify(tok); err != ErrTokenInvalid {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	clk.Advance(2 * time.Minute)
	if _, err := v.Verify(good); err != ErrTokenExpired {
		t.Errorf("expired: err = %v", err)
	}
}

func TestAuthorize(t *testing.T) {
	priv, pub := keys(t)
	iss := NewIssuer(priv, "siyu", clock.System)
	v := NewVerifier(pub, "siyu", clock.System)
	member, _, _ := iss.Issue(Identity{Subject: "m1", Kind: KindMember}, time.Minute)
	admin, _, _ := iss.Issue(Identity{Subject: "a1", Kind: KindAdmin, Roles: []string{RoleOperator}}, time.Minute)
	cs, _, _ := iss.Issue(Identity{Subject: "c1", Kind: KindAdmin, Roles: []string{RoleCustomerService}}, time.Minute)
	owner, _, _ := iss.Issue(Identity{Subject: "o1", Kind: KindAdmin, Roles: []string{RoleOwner}}, time.Minute)
	roleless, _, _ := iss.Issue(Identity{Subject: "r1", Kind: KindAdmin}, time.Minute)
	svc, _, _ := iss.Issue(Identity{Subject: "seed", Kind: KindService}, time.Minute)
	p := Policy{"/x/Public": Public, "/x/Any": AnyCaller, "/x/Member": MemberOnly, "/x/Admin": Staff, "/x/Ops": Operators, "/x/Owner": OwnerOnly, "/x/Service": ServiceOnly}
	cases := []struct {
		method, token string
		code          codes.Code
		reason        string
	}{
		{"/x/Public", "", codes.OK, ""},
		{"/x/Public", "garbage", codes.Unauthenticated, "TOKEN_INVALID"},
		{"/x/Any", "", codes.Unauthenticated, "TOKEN_MISSING"},
		{"/x/Any", member, codes.OK, ""},
		{"/x/Member", member, codes.OK, ""},
		{"/x/Member", admin, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Admin", member, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Admin", admin, codes.OK, ""},
		{"/x/Admin", svc, codes.OK, ""},
		{"/x/Admin", cs, codes.OK, ""},
		{"/x/Admin", roleless, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Ops", cs, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Ops", admin, codes.OK, ""},
		{"/x/Ops", owner, codes.OK, ""},
		{"/x/Ops", svc, codes.OK, ""},
		{"/x/Ops", member, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Owner", admin, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Owner", owner, codes.OK, ""},
		{"/x/Owner", svc, codes.OK, ""},
		{"/x/Service", svc, codes.OK, ""},
		{"/x/Service", admin, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Service", member, codes.PermissionDenied, "ROLE_REQUIRED"},
		{"/x/Service", "", codes.Unauthenticated, "TOKEN_MISSING"},
		{"/x/Unlisted", admin, codes.PermissionDenied, "METHOD_NOT_ALLOWED"},
		{"/grpc.health.v1.Health/Check", "", codes.OK, ""},
	}
	for _, c := range cases {
		ctx := context.Background()
		if c.token != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer "+c.token))
		}
		got, err := Authorize(ctx, v, p, c.method)
		if status.Code(err) != c.code || errs.Reason(err) != c.reason {
			t.Errorf("%s with %.10s: %v (reason %q), want %v %q", c.method, c.token, status.Code(err), errs.Reason(err), c.code, c.reason)
		}
		if err == nil && c.token != "" {
			if _, ok := FromContext(got); !ok {
				t.Errorf("%s: identity not in context", c.method)
			}
		}
	}
}

func TestDevKeysPersist(t *testing.T) {
	dir := t.TempDir()
	p1, pub1, err := LoadOrCreateDevKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	p2, pub2, err := LoadOrCreateDevKeys(dir)
	if err != nil || p1 != p2 || pub1 != pub2 {
		t.Fatalf("second load differs: %v", err)
	}
}

func BenchmarkVerify(b *testing.B) {
	priv, pub := keys(b)
	tok, _, _ := NewIssuer(priv, "siyu", clock.System).Issue(Identity{Subject: "m1", Kind: KindMember}, time.Hour)
	v := NewVerifier(pub, "siyu", clock.System)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// The cache of verified tokens changes nothing a caller can see: expiry
// still applies to a remembered token, a tampered copy is checked afresh,
// and the cache stays bounded.
func TestVerifiedTokensAreRemembered(t *testing.T) {
	priv, pub := keys(t)
	clk := clock.NewFake(time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC))
	tok, _, err := NewIssuer(priv, "siyu", clk).Issue(Identity{Subject: "a1", Kind: KindAdmin, Roles: []string{RoleOwner}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(pub, "siyu", clk)
	for i := 0; i < 2; i++ {
		id, err := v.Verify(tok)
		if err != nil || id.Subject != "a1" || !id.HasRole(RoleOwner) {
			t.Fatalf("verify %d: %+v %v", i, id, err)
		}
		id.Roles[0] = "tampered"
	}
	if len(v.verified) != 1 {
		t.Fatalf("cache holds %d tokens, want 1", len(v.verified))
	}
	// Change one character inside the signature (the last ones may carry
	// only padding bits, which decode to the same signature).
	tampered := []byte(tok)
	at := strings.LastIndexByte(tok, '.') + 10
	tampered[at] = map[bool]byte{true: 'B', false: 'A'}[tampered[at] == 'A']
	if _, err := v.Verify(string(tampered)); err != ErrTokenInvalid {
		t.Errorf("tampered signature: %v", err)
	}
	clk.Advance(time.Minute + leeway)
	if _, err := v.Verify(tok); err != ErrTokenExpired {
		t.Errorf("a remembered token past its expiry: %v", err)
	}

	defer func(n int) { maxVerified = n }(maxVerified)
	maxVerified = 50
	issuer := NewIssuer(priv, "siyu", clk)
	for i := 0; i < maxVerified+10; i++ {
		tok, _, _ := issuer.Issue(Identity{Subject: fmt.Sprint("m", i), Kind: KindMember}, time.Hour)
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.verified); n > maxVerified {
		t.Errorf("cache grew to %d entries, bound is %d", n, maxVerified)
	}
}

// BenchmarkVerifyFresh is the full signature check of a token seen for the
// first time; BenchmarkVerify is the same token again, as on every request.
func BenchmarkVerifyFresh(b *testing.B) {
	priv, pub := keys(b)
	issuer := NewIssuer(priv, "siyu", clock.System)
	toks := make([]string, 1000)
	for i := range toks {
		toks[i], _, _ = issuer.Issue(Identity{Subject: fmt.Sprint("m", i), Kind: KindMember}, time.Hour)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v := NewVerifier(pub, "siyu", clock.System)
		if _, err := v.Verify(toks[i%len(toks)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func TestMergeJoinsPolicies(t *testing.T) {
	got := Merge(Policy{"/a.A/X": Public}, Policy{"/b.B/Y": Staff}, nil)
	if len(got) != 2 || got["/a.A/X"] != Public || got["/b.B/Y"] != Staff {
		t.Fatalf("Merge = %v", got)
	}
}
