package main

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"siyu.dev/cmd/siyu/internal/suite"
	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
)

// shop is the whole suite started for one test, as `siyu dev` runs it: the
// embedded infrastructure, six services on loopback gRPC and the gateway.
type shop struct {
	*suite.Suite
	api *client
}

// startShop starts a suite in dataDir (a fresh one when empty) with codes
// echoed, quiet logs and any extra environment; it stops when t ends.
func startShop(t *testing.T, dataDir string, extra ...map[string]string) *shop {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	env := map[string]string{"SIYU_DEV_SMS_ECHO": "true", "SIYU_LOG_LEVEL": "warn"}
	for _, e := range extra {
		for k, v := range e {
			env[k] = v
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := suite.Start(ctx, suite.Options{
		DataDir:     dataDir,
		HTTPAddr:    "127.0.0.1:0",
		RandomPorts: true,
		Env:         env,
		Logger:      newLogger(io.Discard),
	})
	if err != nil {
		t.Fatalf("start suite: %v", err)
	}
	t.Cleanup(s.Stop)
	return &shop{Suite: s, api: &client{t: t, base: "http://" + s.HTTPAddr}}
}

// token signs an access token for id with the suite's key, as the member
// service would after a login (operators, services).
func (s *shop) token(t *testing.T, id auth.Identity) string {
	t.Helper()
	priv, err := auth.ParsePrivateKeyPEM(s.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := auth.NewIssuer(priv, "siyu", clock.System).Issue(id, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestRestartKeepsTheShop stops a seeded shop and starts it again on the
// same data directory, as every `make run` after the first does: all
// services must come back (index declarations, streams and consumers meet
// what they created before) with members, tokens' keys and products intact.
func TestRestartKeepsTheShop(t *testing.T) {
	dir := t.TempDir()
	first := startShop(t, dir)
	if _, err := seedSuite(context.Background(), first.Suite); err != nil {
		t.Fatalf("seed: %v", err)
	}
	alice := first.api.login(t, "13900000901")
	first.api.expect(t, "POST", "/v1/members/me/sign-ins", alice.access, "{}", 200)
	first.Stop()

	again := startShop(t, dir)
	again.api.expect(t, "GET", "/readyz", "", "", 200)
	me := again.api.expect(t, "GET", "/v1/members/me", alice.access, "", 200)
	if me["id"] != alice.memberID {
		t.Fatalf("after a restart the member's token names %v, want %s", me["id"], alice.memberID)
	}
	if pts := again.api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200); pts["available_points"] == "0" {
		t.Errorf("the sign-in reward did not survive the restart: %v", pts)
	}
	if list := again.api.expect(t, "GET", "/v1/products?page_size=5", "", "", 200); len(anySlice(list["products"])) != 5 {
		t.Errorf("catalogue after a restart: %v", list)
	}
	res, err := seedSuite(context.Background(), again.Suite)
	if err != nil || res.catalog.Created != 0 || res.adminCreated {
		t.Errorf("seeding a restarted shop should change nothing: %+v %v", res, err)
	}
}

// seed loads the demo shop, as the first `siyu dev` does.
func (s *shop) seed(t *testing.T) seedResult {
	t.Helper()
	res, err := seedSuite(context.Background(), s.Suite)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return res
}

// operator logs the seeded owner account in through the gateway.
func (s *shop) operator(t *testing.T, seeded seedResult) string {
	t.Helper()
	login := s.api.expect(t, "POST", "/v1/admin/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, seeded.adminUser, seeded.adminPassword), 200)
	tok, _ := login["access_token"].(string)
	return tok
}

// asService dials one of the shop's services over gRPC and returns a
// context carrying a service token: the saga calls (stock reservations,
// points holds) have no REST route and admit only services.
func (s *shop) asService(t *testing.T, service string) (*grpc.ClientConn, context.Context) {
	t.Helper()
	conn, err := grpc.NewClient(s.ServiceAddrs[service], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, auth.OutgoingToken(context.Background(), s.token(t, auth.Identity{Subject: "order-service", Kind: auth.KindService}))
}
