package grpcapi_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/testkit"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/domain"
	"siyu.dev/services/member/internal/grpcapi"
	"siyu.dev/services/member/internal/mongostore"
	"siyu.dev/services/member/internal/sms"
	"siyu.dev/services/member/internal/wechat"
)

type env struct {
	auth    memberv1.AuthServiceClient
	members memberv1.MemberServiceClient
	addrs   memberv1.AddressServiceClient
	signIn  memberv1.SignInServiceClient
	store   *mongostore.Store
	svc     *app.Service
	clk     *clock.Fake
	issuer  *auth.Issuer
	pub     ed25519.PublicKey
	loyalty *app.Loyalty
}

func setup(t testing.TB) *env {
	t.Helper()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	clk := clock.NewFake(time.Now())
	store := mongostore.New(testkit.DB(t))
	if err := store.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	issuer := auth.NewIssuer(priv, "siyu", clk)
	svc := app.New(mongostore.Members{Store: store}, mongostore.Codes{Store: store}, mongostore.Sessions{Store: store}, mongostore.Admins{Store: store},
		sms.Dev{Logger: log}, issuer, clk, app.Options{EchoCode: true, WeChat: wechat.Sandbox{}, IPQuota: mongostore.IPQuota{Store: store},
			LoginAttempts: mongostore.LoginAttempts{Store: store}, WeChatAppID: "wx-main", WeChatApps: map[string]app.WeChat{"wx-second": wechat.Sandbox{App: "wx-second"}}})
	srv := grpcserver.New(grpcserver.Options{Service: "member", Logger: log, Verifier: auth.NewVerifier(pub, "siyu", clk), Policy: grpcapi.Policy})
	ls := mongostore.NewLoyalty(store.Members.Database())
	loyalty := app.NewLoyalty(mongostore.LoyaltyAccounts{Loyalty: ls}, mongostore.LoyaltySettings{Loyalty: ls},
		mongostore.TagRules{Loyalty: ls, Now: clk.Now}, mongostore.Segments{Loyalty: ls}, app.NoSegmentUsers{}, mongostore.Members{Store: store}, clk)
	grpcapi.Register(srv.GRPC(), svc, loyalty)
	grpcapi.RegisterLoyalty(srv.GRPC(), loyalty)
	conn := testkit.BufconnServer(t, srv)
	return &env{auth: memberv1.NewAuthServiceClient(conn), members: memberv1.NewMemberServiceClient(conn), addrs: memberv1.NewAddressServiceClient(conn), signIn: memberv1.NewSignInServiceClient(conn),
		store: store, svc: svc, clk: clk, issuer: issuer, pub: pub, loyalty: loyalty}
}

func bearer(ctx context.Context, token string) context.Context { return auth.OutgoingToken(ctx, token) }

func expect(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if status.Code(err) != code || errs.Reason(err) != reason {
		t.Errorf("%s: got %v (%q), want %v %q", what, status.Code(err), errs.Reason(err), code, reason)
	}
}

func (e *env) login(t testing.TB, phone string) *memberv1.SmsLoginResponse {
	t.Helper()
	ctx := context.Background()
	sent, err := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: phone})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: phone, Code: sent.DevCode, Channel: "qr-spring"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSmsLoginFlow(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, err := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: "12345"})
	expect(t, "bad phone", err, codes.InvalidArgument, "PHONE_INVALID")

	sent, err := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: "13900000001"})
	if err != nil || len(sent.DevCode) != 6 || sent.RetryAfterSeconds != 60 {
		t.Fatalf("send: %v %v", sent, err)
	}
	_, err = e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: "13900000001"})
	expect(t, "resend within a minute", err, codes.ResourceExhausted, "SMS_TOO_FREQUENT")

	wrong := "000000"
	if sent.DevCode == wrong {
		wrong = "111111"
	}
	_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000001", Code: wrong})
	expect(t, "wrong code", err, codes.InvalidArgument, "SMS_CODE_INVALID")
	_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000001", Code: "12"})
	expect(t, "malformed code", err, codes.InvalidArgument, "SMS_CODE_INVALID")
	_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000001", Code: sent.DevCode, Channel: "bad channel!"})
	expect(t, "bad channel", err, codes.InvalidArgument, "CHANNEL_INVALID")

	res, err := e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000001", Code: sent.DevCode, Channel: "store-12"})
	if err != nil || !res.Registered || res.Member.Phone != "13900000001" || res.Member.Channel != "store-12" {
		t.Fatalf("login: %v %v", res, err)
	}
	_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000001", Code: sent.DevCode})
	expect(t, "code reused", err, codes.FailedPrecondition, "SMS_CODE_EXPIRED")

	me, err := e.members.GetMe(bearer(ctx, res.AccessToken), &memberv1.GetMeRequest{})
	if err != nil || me.Member.Id != res.Member.Id {
		t.Fatalf("me: %v %v", me, err)
	}
	_, err = e.members.GetMe(ctx, &memberv1.GetMeRequest{})
	expect(t, "me without token", err, codes.Unauthenticated, "TOKEN_MISSING")

	// Second login of the same phone finds the same member.
	e.clk.Advance(61 * time.Second)
	again := e.login(t, "13900000001")
	if again.Registered || again.Member.Id != res.Member.Id {
		t.Errorf("second login: registered=%v id=%s", again.Registered, again.Member.Id)
	}
}

func TestCodeExpiresAndBurns(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	sent, _ := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: "13900000002"})
	e.clk.Advance(5 * time.Minute)
	_, err := e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000002", Code: sent.DevCode})
	expect(t, "expired", err, codes.FailedPrecondition, "SMS_CODE_EXPIRED")

	e.clk.Advance(time.Minute)
	sent, _ = e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: "13900000002"})
	wrong := "000000"
	if sent.DevCode == wrong {
		wrong = "111111"
	}
	for i := 0; i < 5; i++ {
		_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000002", Code: wrong})
		expect(t, "wrong", err, codes.InvalidArgument, "SMS_CODE_INVALID")
	}
	_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000002", Code: sent.DevCode})
	expect(t, "right code after 5 wrong ones", err, codes.FailedPrecondition, "SMS_CODE_EXPIRED")
	_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000099", Code: "123456"})
	expect(t, "no code sent", err, codes.FailedPrecondition, "SMS_CODE_EXPIRED")
}

// TestCodeIsSingleUseUnderConcurrency: 20 logins racing with one valid code
// yield exactly one session.
func TestCodeIsSingleUseUnderConcurrency(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	sent, _ := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: "13900000003"})
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: "13900000003", Code: sent.DevCode})
			if err == nil {
				ok.Add(1)
			} else if errs.Reason(err) != "SMS_CODE_EXPIRED" {
				t.Errorf("unexpected %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d successful logins, want 1", ok.Load())
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	res := e.login(t, "13900000004")
	r1, err := e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: res.RefreshToken})
	if err != nil || r1.RefreshToken == res.RefreshToken {
		t.Fatalf("refresh: %v %v", r1, err)
	}
	if _, err := e.members.GetMe(bearer(ctx, r1.AccessToken), &memberv1.GetMeRequest{}); err != nil {
		t.Fatalf("new access token: %v", err)
	}
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: res.RefreshToken})
	expect(t, "reuse", err, codes.Unauthenticated, "REFRESH_TOKEN_REUSED")
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: r1.RefreshToken})
	expect(t, "family revoked", err, codes.Unauthenticated, "REFRESH_TOKEN_INVALID")

	for name, tok := range map[string]string{"garbage": "nope", "unknown session": "s_x.secret", "forged secret": res.RefreshToken[:10] + ".forged"} {
		_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: tok})
		expect(t, name, err, codes.Unauthenticated, "REFRESH_TOKEN_INVALID")
	}
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{})
	expect(t, "empty", err, codes.InvalidArgument, "REFRESH_TOKEN_REQUIRED")

	// Concurrent refreshes with one token: at most one wins, and the rest revoke the session.
	e.clk.Advance(61 * time.Second)
	fresh := e.login(t, "13900000004")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: fresh.RefreshToken}); err == nil {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() > 1 {
		t.Fatalf("%d concurrent refreshes with one token succeeded", wins.Load())
	}

	// Logout revokes; twice is harmless.
	e.clk.Advance(61 * time.Second)
	l := e.login(t, "13900000004")
	for i := 0; i < 2; i++ {
		if _, err := e.auth.Logout(ctx, &memberv1.LogoutRequest{RefreshToken: l.RefreshToken}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: l.RefreshToken})
	expect(t, "after logout", err, codes.Unauthenticated, "REFRESH_TOKEN_INVALID")
}

func TestAdminAccessAndBOLA(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	alice := e.login(t, "13900000005")
	bob := e.login(t, "13900000006")

	_, err := e.members.GetMember(bearer(ctx, alice.AccessToken), &memberv1.GetMemberRequest{MemberId: bob.Member.Id})
	expect(t, "member reads another member", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.GetMember(ctx, &memberv1.GetMemberRequest{MemberId: bob.Member.Id})
	expect(t, "anonymous", err, codes.Unauthenticated, "TOKEN_MISSING")

	pw, created, err := e.svc.EnsureAdmin(ctx, "ops", []string{auth.RoleOperator})
	if err != nil || !created {
		t.Fatal(err)
	}
	if _, again, _ := e.svc.EnsureAdmin(ctx, "ops", nil); again {
		t.Error("EnsureAdmin created twice")
	}
	_, err = e.auth.AdminLogin(ctx, &memberv1.AdminLoginRequest{Username: "ops", Password: "wrong"})
	expect(t, "wrong password", err, codes.Unauthenticated, "ADMIN_CREDENTIALS_INVALID")
	_, err = e.auth.AdminLogin(ctx, &memberv1.AdminLoginRequest{Username: "ghost", Password: pw})
	expect(t, "unknown admin", err, codes.Unauthenticated, "ADMIN_CREDENTIALS_INVALID")
	op, err := e.auth.AdminLogin(ctx, &memberv1.AdminLoginRequest{Username: "ops", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.members.GetMember(bearer(ctx, op.AccessToken), &memberv1.GetMemberRequest{MemberId: bob.Member.Id})
	if err != nil || got.Member.Phone != "139****0006" {
		t.Fatalf("operator sees %v %v, want a masked phone", got, err)
	}
	_, err = e.members.GetMember(bearer(ctx, op.AccessToken), &memberv1.GetMemberRequest{MemberId: "m_nobody"})
	expect(t, "unknown member", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.members.GetMe(bearer(ctx, op.AccessToken), &memberv1.GetMeRequest{})
	expect(t, "admin calling GetMe", err, codes.PermissionDenied, "ROLE_REQUIRED")

	ownerTok, _, _ := e.issuer.Issue(auth.Identity{Subject: "admin:boss", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}}, time.Minute)
	got, err = e.members.GetMember(bearer(ctx, ownerTok), &memberv1.GetMemberRequest{MemberId: bob.Member.Id})
	if err != nil || got.Member.Phone != "13900000006" {
		t.Fatalf("owner sees %v %v, want the full phone", got, err)
	}
}

// TestSmsCodeAttemptLimitUnderConcurrency: a burst of guesses at once
// checks at most MaxAttempts of them, whatever their order; once the limit
// is reached even the right code is refused.
func TestSmsCodeAttemptLimitUnderConcurrency(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	const phone = "13900000311"
	burst := func(code string, right int) (invalid, won, refused int) {
		t.Helper()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 100 {
			guess := fmt.Sprintf("%06d", (i*7919+13)%1000000)
			if i == right {
				guess = code
			} else if guess == code {
				guess = "000000"
			}
			wg.Go(func() {
				_, err := e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: phone, Code: guess})
				mu.Lock()
				defer mu.Unlock()
				switch errs.Reason(err) {
				case "":
					won++
				case "SMS_CODE_INVALID":
					invalid++
				case "SMS_CODE_EXPIRED":
					refused++
				default:
					t.Errorf("guess: %v", err)
				}
			})
		}
		wg.Wait()
		return invalid, won, refused
	}

	// The right code among 100 simultaneous guesses.
	sent, err := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: phone})
	if err != nil {
		t.Fatal(err)
	}
	invalid, won, refused := burst(sent.DevCode, 50)
	if invalid+won > domain.MaxAttempts || won > 1 || invalid+won+refused != 100 {
		t.Fatalf("right code among 100: %d wrong checked, %d won, %d refused; at most %d may be checked", invalid, won, refused, domain.MaxAttempts)
	}

	// 100 wrong guesses at once burn the next code after exactly five, and
	// the right code is refused afterwards.
	e.clk.Advance(domain.ResendInterval)
	sent, err = e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: phone})
	if err != nil {
		t.Fatal(err)
	}
	invalid, won, refused = burst(sent.DevCode, -1)
	if invalid != domain.MaxAttempts || won != 0 || refused != 100-domain.MaxAttempts {
		t.Fatalf("100 wrong guesses: %d checked, %d won, %d refused", invalid, won, refused)
	}
	_, err = e.auth.SmsLogin(ctx, &memberv1.SmsLoginRequest{Phone: phone, Code: sent.DevCode})
	expect(t, "the right code after the limit", err, codes.FailedPrecondition, "SMS_CODE_EXPIRED")
}

// TestPhoneLookups: logins find members through phone lookup documents (by
// _id); members saved before lookups existed get theirs at start, and a
// deleted member's phone registers a new member.
func TestPhoneLookups(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	// A member as an earlier release saved it: no lookup document.
	if _, err := e.store.Members.InsertOne(ctx, bson.M{"_id": "m_legacy", "phone": "13900000401", "nickname": "老会员", "consent": bson.M{}, "blocked": false, "created_at": time.Now(), "addr_rev": 0}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.store.Phones.CountDocuments(ctx, bson.M{"_id": "13900000401", "member_id": "m_legacy"}); n != 1 {
		t.Fatal("no lookup backfilled for the legacy member")
	}
	res := e.login(t, "13900000401")
	if res.Member.Id != "m_legacy" || res.Registered {
		t.Fatalf("legacy member's login: %v", res)
	}
	// A new member gets a lookup at registration; after deletion the phone
	// is free for a new member.
	first := e.login(t, "13900000402")
	if n, _ := e.store.Phones.CountDocuments(ctx, bson.M{"_id": "13900000402", "member_id": first.Member.Id}); n != 1 {
		t.Fatal("no lookup for a new member")
	}
	if _, err := e.members.DeleteMe(bearer(ctx, first.AccessToken), &memberv1.DeleteMeRequest{}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(domain.ResendInterval)
	again := e.login(t, "13900000402")
	if again.Member.Id == first.Member.Id || !again.Registered {
		t.Fatalf("after deletion: %v", again)
	}
}
