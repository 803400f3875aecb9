package gateway

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/grpcserver"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
)

// fakeMember echoes what reached it, so tests see exactly what the gateway forwarded.
type fakeMember struct {
	memberv1.UnimplementedMemberServiceServer
	memberv1.UnimplementedAuthServiceServer
}

func (fakeMember) GetMe(ctx context.Context, _ *memberv1.GetMeRequest) (*memberv1.GetMeResponse, error) {
	id, _ := auth.FromContext(ctx)
	md, _ := metadata.FromIncomingContext(ctx)
	return &memberv1.GetMeResponse{Member: &memberv1.Member{Id: id.Subject, Nickname: strings.Join(md.Get("x-siyu-member-id"), ","), Channel: strings.Join(md.Get("x-request-id"), ","),
		AvatarUrl: strings.Join(md.Get(auth.ClientIPKey), ",")}}, nil
}

// sessionChecks counts CheckSession calls; session "s-ended" has ended.
var sessionChecks atomic.Int32

func (fakeMember) CheckSession(ctx context.Context, _ *memberv1.CheckSessionRequest) (*memberv1.CheckSessionResponse, error) {
	sessionChecks.Add(1)
	if id, _ := auth.FromContext(ctx); id.SessionID == "s-ended" {
		return nil, errs.New(codes.Unauthenticated, "member.siyu.dev", "SESSION_REVOKED", "signed out")
	}
	return &memberv1.CheckSessionResponse{}, nil
}

func (fakeMember) SendSmsCode(_ context.Context, req *memberv1.SendSmsCodeRequest) (*memberv1.SendSmsCodeResponse, error) {
	switch req.Phone {
	case "busy":
		return nil, errs.New(codes.ResourceExhausted, "member.siyu.dev", "SMS_TOO_FREQUENT", "wait")
	case "blocked":
		return nil, errs.New(codes.FailedPrecondition, "member.siyu.dev", "SMS_CODE_EXPIRED", "expired")
	}
	return &memberv1.SendSmsCodeResponse{RetryAfterSeconds: 60}, nil
}

type fakeProduct struct {
	productv1.UnimplementedProductServiceServer
}

func (fakeProduct) GetProduct(_ context.Context, req *productv1.GetProductRequest) (*productv1.GetProductResponse, error) {
	if req.Id != "p-1" {
		return nil, errs.New(codes.NotFound, "product.siyu.dev", "PRODUCT_NOT_FOUND", "no such product")
	}
	return &productv1.GetProductResponse{Product: &productv1.Product{Id: "p-1", Title: "碎花连衣裙", PriceFen: 9900}}, nil
}

func (fakeProduct) ListProducts(context.Context, *productv1.ListProductsRequest) (*productv1.ListProductsResponse, error) {
	return &productv1.ListProductsResponse{Products: []*productv1.Product{{Id: "p-1"}}}, nil
}

type stack struct {
	url      string
	issuer   *auth.Issuer
	servers  map[string]*grpcserver.Server
	handler  http.Handler
	priv     ed25519.PrivateKey
	otherKey ed25519.PrivateKey
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startStack(t testing.TB, mod func(*Config)) *stack {
	t.Helper()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	_, other, _ := ed25519.GenerateKey(nil)
	s := &stack{issuer: auth.NewIssuer(priv, "siyu", clock.System), servers: map[string]*grpcserver.Server{}, priv: priv, otherKey: other}
	policy := auth.Policy{
		memberv1.MemberService_GetMe_FullMethodName:          auth.MemberOnly,
		memberv1.MemberService_CheckSession_FullMethodName:   auth.Public,
		memberv1.AuthService_SendSmsCode_FullMethodName:      auth.Public,
		productv1.ProductService_GetProduct_FullMethodName:   auth.Public,
		productv1.ProductService_ListProducts_FullMethodName: auth.Public,
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	addr := func(name string, register func(*grpcserver.Server)) string {
		srv := grpcserver.New(grpcserver.Options{Service: name, Logger: quiet, Verifier: auth.NewVerifier(pub, "siyu", clock.System), Policy: policy})
		register(srv)
		lis, _ := net.Listen("tcp", "127.0.0.1:0")
		go srv.Serve(ctx, lis)
		s.servers[name] = srv
		return lis.Addr().String()
	}
	cfg := Config{
		MemberAddr: addr("member", func(g *grpcserver.Server) {
			memberv1.RegisterMemberServiceServer(g.GRPC(), fakeMember{})
			memberv1.RegisterAuthServiceServer(g.GRPC(), fakeMember{})
		}),
		ProductAddr:  addr("product", func(g *grpcserver.Server) { productv1.RegisterProductServiceServer(g.GRPC(), fakeProduct{}) }),
		JWTPublicKey: pubPEM, MaxBodyBytes: 1024, RateIPRPS: 1000, RateIPBurst: 1000, RateMemberRPS: 1000, RateMemberBurst: 1000,
		CORSOrigins: []string{"https://h5.example.com"}, Logger: quiet,
	}
	if mod != nil {
		mod(&cfg)
	}
	g, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	s.handler = g.Handler()
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *stack) token(id auth.Identity, ttl time.Duration) string {
	tok, _, _ := s.issuer.Issue(id, ttl)
	return tok
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (s *stack) call(t *testing.T, method, path, body string, hdr map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &r.body)
	return r
}

func reason(r reply) string {
	details, _ := r.body["details"].([]any)
	for _, d := range details {
		if m, ok := d.(map[string]any); ok && m["reason"] != nil {
			return m["reason"].(string)
		}
	}
	return ""
}

func TestErrorsAreJSONWithTheRightStatus(t *testing.T) {
	s := startStack(t, nil)
	cases := []struct {
		name, method, path, body string
		want                     int
		reason                   string
	}{
		{"unknown route", "GET", "/v1/nope", "", 404, "ROUTE_NOT_FOUND"},
		{"wrong method", "DELETE", "/v1/products", "", 405, "METHOD_NOT_ALLOWED"},
		{"malformed json", "POST", "/v1/auth/sms-codes", `{"phone":`, 400, ""},
		{"wrong type", "POST", "/v1/auth/sms-codes", `{"phone":[1]}`, 400, ""},
		{"unknown field", "POST", "/v1/auth/sms-codes", `{"phone":"1","is_admin":true}`, 400, ""},
		{"declared body too large", "POST", "/v1/auth/sms-codes", `{"phone":"` + strings.Repeat("9", 2000) + `"}`, 413, "BODY_TOO_LARGE"},
		{"service not found", "GET", "/v1/products/p-2", "", 404, "PRODUCT_NOT_FOUND"},
		{"failed precondition", "POST", "/v1/auth/sms-codes", `{"phone":"blocked"}`, 400, "SMS_CODE_EXPIRED"},
		{"resource exhausted", "POST", "/v1/auth/sms-codes", `{"phone":"busy"}`, 429, "SMS_TOO_FREQUENT"},
		{"page size overflow", "GET", "/v1/products?page_size=99999999999", "", 400, ""},
		{"protected without token", "GET", "/v1/members/me", "", 401, "TOKEN_MISSING"},
	}
	for _, c := range cases {
		r := s.call(t, c.method, c.path, c.body, map[string]string{"Content-Type": "application/json"})
		if r.status != c.want || (c.reason != "" && reason(r) != c.reason) || r.body == nil {
			t.Errorf("%s: HTTP %d reason %q, want %d %q: %.200s", c.name, r.status, reason(r), c.want, c.reason, r.raw)
		}
	}
	ok := s.call(t, "GET", "/v1/products/p-1", "", nil)
	if ok.status != 200 || ok.body["title"] != "碎花连衣裙" || ok.body["price_fen"] != "9900" {
		t.Errorf("product: %d %v", ok.status, ok.body)
	}
}

func TestChunkedBodyOverLimitIs413(t *testing.T) {
	s := startStack(t, nil)
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"phone":"`))
		pw.Write([]byte(strings.Repeat("1", 4096)))
		pw.Write([]byte(`"}`))
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", s.url+"/v1/auth/sms-codes", pr)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("chunked oversized body: HTTP %d", resp.StatusCode)
	}
}

func TestTokensAndForwarding(t *testing.T) {
	s := startStack(t, nil)
	member := s.token(auth.Identity{Subject: "m_1", Kind: auth.KindMember}, time.Minute)
	forged, _, _ := auth.NewIssuer(s.otherKey, "siyu", clock.System).Issue(auth.Identity{Subject: "m_1", Kind: auth.KindMember}, time.Minute)
	expired, _, _ := auth.NewIssuer(s.priv, "siyu", clock.NewFake(time.Now().Add(-time.Hour))).Issue(auth.Identity{Subject: "m_1", Kind: auth.KindMember}, time.Minute)
	cases := map[string]struct {
		header string
		want   int
		reason string
	}{
		"forged":     {"Bearer " + forged, 401, "TOKEN_INVALID"},
		"expired":    {"Bearer " + expired, 401, "TOKEN_EXPIRED"},
		"alg none":   {"Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJtXzEiLCJrbmQiOiJtZW1iZXIifQ.", 401, "TOKEN_INVALID"},
		"not bearer": {"Basic abc", 401, "TOKEN_INVALID"},
		"empty":      {"Bearer ", 401, "TOKEN_INVALID"},
	}
	for name, c := range cases {
		r := s.call(t, "GET", "/v1/members/me", "", map[string]string{"Authorization": c.header})
		if r.status != c.want || reason(r) != c.reason {
			t.Errorf("%s: %d %q", name, r.status, reason(r))
		}
	}
	r := s.call(t, "GET", "/v1/members/me", "", map[string]string{"Authorization": "Bearer " + member, "X-Siyu-Member-Id": "m_admin", "X-Request-Id": "req-42", "X-Client-Ip": "6.6.6.6", "X-Forwarded-For": "7.7.7.7"})
	if r.status != 200 || r.body["id"] != "m_1" {
		t.Fatalf("me: %d %v", r.status, r.raw)
	}
	if r.body["nickname"] != "" {
		t.Errorf("client identity header reached the service: %v", r.body["nickname"])
	}
	if r.body["avatar_url"] != "127.0.0.1" {
		t.Errorf("client ip reaching the service = %q, want the peer address (no proxy is trusted)", r.body["avatar_url"])
	}
	if r.body["channel"] != "req-42" || r.header.Get("X-Request-Id") != "req-42" {
		t.Errorf("request id not forwarded/echoed: %v %q", r.body["channel"], r.header.Get("X-Request-Id"))
	}
	if gen := s.call(t, "GET", "/healthz", "", map[string]string{"X-Request-Id": "bad id with spaces"}).header.Get("X-Request-Id"); gen == "" || strings.Contains(gen, " ") {
		t.Errorf("insane request id kept: %q", gen)
	}
}

func TestCORS(t *testing.T) {
	s := startStack(t, nil)
	pre := map[string]string{"Origin": "https://h5.example.com", "Access-Control-Request-Method": "POST"}
	r := s.call(t, "OPTIONS", "/v1/auth/sms-codes", "", pre)
	if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://h5.example.com" || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("allowed preflight: %d %v", r.status, r.header)
	}
	pre["Origin"] = "https://evil.example.com"
	if r := s.call(t, "OPTIONS", "/v1/auth/sms-codes", "", pre); r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: %d %v", r.status, r.header)
	}
	if r := s.call(t, "GET", "/v1/products", "", map[string]string{"Origin": "https://evil.example.com"}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header for a foreign origin")
	}
}

func TestRateLimits(t *testing.T) {
	s := startStack(t, func(c *Config) { c.RateIPRPS, c.RateIPBurst, c.RateMemberRPS, c.RateMemberBurst = 1, 5, 1, 2 })
	member := s.token(auth.Identity{Subject: "m_1", Kind: auth.KindMember}, time.Minute)
	got := []int{}
	for i := 0; i < 4; i++ {
		got = append(got, s.call(t, "GET", "/v1/members/me", "", map[string]string{"Authorization": "Bearer " + member}).status)
	}
	if got[0] != 200 || got[1] != 200 || got[2] != 429 {
		t.Errorf("per member: %v", got)
	}
	var last reply
	for i := 0; i < 3; i++ {
		last = s.call(t, "GET", "/v1/products", "", nil)
	}
	if last.status != 429 || reason(last) != "RATE_LIMITED" || last.header.Get("Retry-After") == "" {
		t.Errorf("per IP: %d %q %v", last.status, reason(last), last.header)
	}
}

// TestFlashReservationsAreLimitedTighter: the reservation route has its
// own buckets per member and per network; other routes are not touched.
func TestFlashReservationsAreLimitedTighter(t *testing.T) {
	s := startStack(t, func(c *Config) {
		c.RateFlashMemberRPS, c.RateFlashMemberBurst, c.RateFlashIPRPS, c.RateFlashIPBurst = 0.01, 1, 0.01, 2
	})
	member := func(id string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + s.token(auth.Identity{Subject: id, Kind: auth.KindMember}, time.Minute)}
	}
	if r := s.call(t, "POST", "/v1/flash-sales/fs_1:reserve", `{}`, member("m_1")); r.status == 429 {
		t.Fatalf("first reservation: %d", r.status)
	}
	if r := s.call(t, "POST", "/v1/flash-sales/fs_1:reserve", `{}`, member("m_1")); r.status != 429 || reason(r) != "RATE_LIMITED" {
		t.Errorf("second reservation of the member: %d %q", r.status, reason(r))
	}
	if r := s.call(t, "GET", "/v1/members/me", "", member("m_1")); r.status != 200 {
		t.Errorf("other routes stay open: %d", r.status)
	}
	// A bot rotating member tokens from one network runs into its bucket.
	if r := s.call(t, "POST", "/v1/flash-sales/fs_1:reserve", `{}`, member("m_2")); r.status == 429 {
		t.Errorf("another member within the network's burst: %d", r.status)
	}
	if r := s.call(t, "POST", "/v1/flash-sales/fs_1:reserve", `{}`, member("m_3")); r.status != 429 {
		t.Errorf("past the network's burst: %d", r.status)
	}
}

func TestReadinessAndDocs(t *testing.T) {
	s := startStack(t, func(c *Config) { c.OrderAddr, c.MarketingAddr, c.MessagingAddr, c.AnalyticsAddr = "", "", "", "" })
	if r := s.call(t, "GET", "/readyz", "", nil); r.status != 200 {
		t.Fatalf("ready: %d %s", r.status, r.raw)
	}
	s.servers["product"].SetServing(false)
	r := s.call(t, "GET", "/readyz", "", nil)
	if r.status != 503 || !strings.Contains(r.raw, "product") {
		t.Errorf("with product NOT_SERVING: %d %s", r.status, r.raw)
	}
	doc := s.call(t, "GET", "/openapi.json", "", nil)
	paths, _ := doc.body["paths"].(map[string]any)
	if _, ok := paths["/v1/products"]; !ok {
		t.Errorf("openapi paths: %v", paths)
	}
	if r := s.call(t, "GET", "/docs", "", nil); r.status != 200 || !strings.Contains(r.raw, "/openapi.json") {
		t.Errorf("docs: %d", r.status)
	}
	if r := s.call(t, "GET", "/", "", nil); r.status != 200 || !strings.Contains(r.raw, "Siyu") {
		t.Errorf("landing: %d", r.status)
	}
	// Metrics are never on the public port (SIYU_METRICS_ADDR serves them).
	if r := s.call(t, "GET", "/metrics", "", nil); r.status != 404 || strings.Contains(r.raw, "grpc") {
		t.Errorf("public /metrics: %d %.100s", r.status, r.raw)
	}
}

func TestStaticFilesWithoutListings(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(dir+"/index.html", "<h1>shop</h1>"); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir+"/assets/app.js", "console.log(1)"); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, func(c *Config) { c.WebDir = dir })
	if r := s.call(t, "GET", "/", "", nil); r.status != 200 || !strings.Contains(r.raw, "shop") {
		t.Errorf("index: %d %s", r.status, r.raw)
	}
	if r := s.call(t, "GET", "/assets/app.js", "", nil); r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "javascript") {
		t.Errorf("asset: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := s.call(t, "GET", "/assets/", "", nil); r.status != 404 {
		t.Errorf("directory listing: %d", r.status)
	}
	// The storefront routes on the client: a reload of /product/p-1 gets the
	// app, while the gateway's own routes keep answering for themselves.
	page := map[string]string{"Accept": "text/html"}
	if r := s.call(t, "GET", "/product/p-1", "", page); r.status != 200 || !strings.Contains(r.raw, "shop") {
		t.Errorf("client route: %d %s", r.status, r.raw)
	}
	if r := s.call(t, "GET", "/healthz", "", page); r.status != 200 || !strings.Contains(r.raw, "ok") {
		t.Errorf("healthz under the app: %d %s", r.status, r.raw)
	}
	if r := s.call(t, "GET", "/v1/nothing-here", "", page); r.status != 404 || reason(r) != "ROUTE_NOT_FOUND" {
		t.Errorf("unknown API route under the app: %d %s", r.status, r.raw)
	}
	if r := s.call(t, "GET", "/metrics", "", page); r.status != 404 || strings.Contains(r.raw, "shop") {
		t.Errorf("metrics under the app: %d %s", r.status, r.raw)
	}
}

// A token whose session ended (logout, block) is refused at the edge even
// though it has not expired; answers are remembered, so a live session
// costs the member service one call per TTL.
func TestEndedSessionsAreRefused(t *testing.T) {
	s := startStack(t, func(c *Config) { c.SessionCheckTTL = time.Hour })
	live := s.token(auth.Identity{Subject: "m_1", Kind: auth.KindMember, SessionID: "s-live"}, time.Minute)
	ended := s.token(auth.Identity{Subject: "m_2", Kind: auth.KindMember, SessionID: "s-ended"}, time.Minute)
	before := sessionChecks.Load()
	for i := 0; i < 3; i++ {
		if r := s.call(t, "GET", "/v1/members/me", "", map[string]string{"Authorization": "Bearer " + live}); r.status != 200 {
			t.Fatalf("live session: %d %v", r.status, r.raw)
		}
		if r := s.call(t, "GET", "/v1/members/me", "", map[string]string{"Authorization": "Bearer " + ended}); r.status != 401 || reason(r) != "SESSION_REVOKED" {
			t.Fatalf("ended session: %d %q", r.status, reason(r))
		}
	}
	if n := sessionChecks.Load() - before; n != 2 {
		t.Errorf("member asked %d times for 2 sessions over 6 requests, want 2", n)
	}
	// Public routes with an ended session's token are refused too: the token no longer speaks for anyone.
	if r := s.call(t, "GET", "/v1/products/p-1", "", map[string]string{"Authorization": "Bearer " + ended}); r.status != 401 {
		t.Errorf("public route with an ended session: %d", r.status)
	}
}
