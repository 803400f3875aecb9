package grpcapi_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/mongostore"
	"siyu.dev/services/member/internal/wechat"
)

func TestWechatLoginAndBinding(t *testing.T) {
	e := setup(t)
	ctx := context.Background()

	_, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{})
	expect(t, "no code", err, codes.InvalidArgument, "WECHAT_CODE_REQUIRED")
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "invalid-1"})
	expect(t, "rejected code", err, codes.InvalidArgument, "WECHAT_CODE_INVALID")
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-alice"})
	expect(t, "unbound without phone", err, codes.FailedPrecondition, "WECHAT_PHONE_REQUIRED")
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-alice", PhoneCode: "garbage"})
	expect(t, "bad phone code", err, codes.InvalidArgument, "WECHAT_PHONE_CODE_INVALID")
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-alice", PhoneCode: "phone-+14155550100"})
	expect(t, "foreign phone", err, codes.InvalidArgument, "PHONE_INVALID")

	// First WeChat login with a phone code registers and binds.
	first, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-alice", PhoneCode: "phone-13900000071", Channel: "mp-scan"})
	if err != nil || !first.Registered || !first.Member.WechatBound || first.Member.Phone != "13900000071" || first.Member.Channel != "mp-scan" {
		t.Fatalf("first wechat login: %v %v", first, err)
	}
	// Next time the code alone is enough, and it is the same member.
	again, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-alice"})
	if err != nil || again.Registered || again.Member.Id != first.Member.Id {
		t.Fatalf("second wechat login: %v %v", again, err)
	}
	// Messaging (a service) reads the openid; nobody else may.
	svcTok, _, _ := e.issuer.Issue(auth.Identity{Subject: "messaging", Kind: auth.KindService}, time.Minute)
	oid, err := e.members.GetMemberWechatOpenId(bearer(ctx, svcTok), &memberv1.GetMemberWechatOpenIdRequest{MemberId: first.Member.Id})
	if err != nil || oid.Openid == "" {
		t.Fatalf("openid for a service: %v %v", oid, err)
	}
	if other, _ := e.members.GetMemberWechatOpenId(bearer(ctx, svcTok), &memberv1.GetMemberWechatOpenIdRequest{MemberId: first.Member.Id, AppId: "wx-unknown"}); other.GetOpenid() != "" {
		t.Errorf("an openid in an unbound app: %v", other)
	}
	_, err = e.members.GetMemberWechatOpenId(bearer(ctx, first.AccessToken), &memberv1.GetMemberWechatOpenIdRequest{MemberId: first.Member.Id})
	expect(t, "a member asks for an openid", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.GetMemberWechatOpenId(bearer(ctx, svcTok), &memberv1.GetMemberWechatOpenIdRequest{MemberId: "m_nobody"})
	expect(t, "openid of nobody", err, codes.NotFound, "MEMBER_NOT_FOUND")

	sessions, _ := e.members.ListMySessions(bearer(ctx, again.AccessToken), &memberv1.ListMySessionsRequest{})
	if len(sessions.Sessions) != 2 || sessions.Sessions[1].Method != "wechat" {
		t.Errorf("sessions: %v", sessions)
	}

	// An SMS member binds WeChat through the phone code of the same phone.
	bob := e.login(t, "13900000072")
	viaPhone, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-bob", PhoneCode: "phone-13900000072"})
	if err != nil || viaPhone.Registered || viaPhone.Member.Id != bob.Member.Id || !viaPhone.Member.WechatBound {
		t.Fatalf("binding by phone: %v %v", viaPhone, err)
	}
	// Another WeChat account cannot take over bob.
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-mallory", PhoneCode: "phone-13900000072"})
	expect(t, "second wechat account for bob's phone", err, codes.FailedPrecondition, "WECHAT_BOUND_TO_OTHER")

	// A blocked member cannot come in through WeChat either.
	if _, err := e.members.BlockMember(e.adminToken(t, "owner"), &memberv1.BlockMemberRequest{MemberId: bob.Member.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-bob"})
	expect(t, "blocked member", err, codes.PermissionDenied, "MEMBER_BLOCKED")

	// BindWechat from a signed-in member.
	carol := e.login(t, "13900000073")
	carolCtx := bearer(ctx, carol.AccessToken)
	_, err = e.members.BindWechat(carolCtx, &memberv1.BindWechatRequest{Code: "wx-alice"})
	expect(t, "alice's wechat for carol", err, codes.AlreadyExists, "WECHAT_ALREADY_BOUND")
	bound, err := e.members.BindWechat(carolCtx, &memberv1.BindWechatRequest{Code: "nounion-carol"})
	if err != nil || !bound.Member.WechatBound {
		t.Fatalf("bind: %v %v", bound, err)
	}
	if _, err := e.members.BindWechat(carolCtx, &memberv1.BindWechatRequest{Code: "nounion-carol"}); err != nil {
		t.Fatalf("binding the same account again is harmless: %v", err)
	}
	_, err = e.members.BindWechat(carolCtx, &memberv1.BindWechatRequest{Code: "wx-carol-2"})
	expect(t, "carol binds a second account", err, codes.FailedPrecondition, "WECHAT_BOUND_TO_OTHER")
	// The failed attempt left no claim behind: wx-carol-2 can still register.
	if _, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-carol-2", PhoneCode: "phone-13900000074"}); err != nil {
		t.Fatalf("wx-carol-2 after carol's failed bind: %v", err)
	}

	// Deleting the account frees the WeChat account for a new member.
	if _, err := e.members.DeleteMe(bearer(ctx, first.AccessToken), &memberv1.DeleteMeRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-alice"})
	expect(t, "deleted member's wechat", err, codes.FailedPrecondition, "WECHAT_PHONE_REQUIRED")
	fresh, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-alice", PhoneCode: "phone-13900000075"})
	if err != nil || !fresh.Registered || fresh.Member.Id == first.Member.Id {
		t.Fatalf("wechat after deletion: %v %v", fresh, err)
	}
}

// TestWechatBindingRace: ten members racing to bind one WeChat account end
// with exactly one owner.
func TestWechatBindingRace(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var members []context.Context
	for i := range 10 {
		res, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "1390000008" + string(rune('0'+i))})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, bearer(ctx, res.AccessToken))
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.members.BindWechat(m, &memberv1.BindWechatRequest{Code: "wx-shared"})
			switch {
			case err == nil:
				wins.Add(1)
			case errs.Reason(err) != "WECHAT_ALREADY_BOUND":
				t.Errorf("bind: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d members bound the same WeChat account", wins.Load())
	}
}

// TestWechatUnionIDAcrossApps: a shopper known from the main mini-program is
// the same member in the shop's second app (shared unionid), each app's
// openid bound to that member.
func TestWechatUnionIDAcrossApps(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	members := mongostore.Members{Store: e.store}

	first, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-dan", PhoneCode: "phone-13900000091"})
	if err != nil || !first.Registered {
		t.Fatalf("first login in the main app: %v %v", first, err)
	}
	// The second app's code gives another openid but the same unionid: no
	// phone code needed, same member, the new openid bound.
	second, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{AppId: "wx-second", Code: "wx-dan"})
	if err != nil || second.Registered || second.Member.Id != first.Member.Id {
		t.Fatalf("login from the second app: %v %v", second, err)
	}
	m, _ := members.Get(ctx, first.Member.Id)
	mainWS, _ := wechat.Sandbox{}.Code2Session(ctx, "wx-dan")
	secondWS, _ := wechat.Sandbox{App: "wx-second"}.Code2Session(ctx, "wx-dan")
	if mainWS.OpenID == secondWS.OpenID || mainWS.UnionID != secondWS.UnionID {
		t.Fatal("the sandbox should give two openids one unionid")
	}
	if m.OpenID != mainWS.OpenID || m.OtherOpenIDs["wx-second"] != secondWS.OpenID || m.UnionID != mainWS.UnionID {
		t.Fatalf("bound ids: %+v", m)
	}
	for _, req := range []*memberv1.WechatLoginRequest{{AppId: "wx-second", Code: "wx-dan"}, {AppId: "wx-main", Code: "wx-dan"}, {Code: "wx-dan"}} {
		again, err := e.auth.WechatLogin(ctx, req)
		if err != nil || again.Member.Id != first.Member.Id {
			t.Errorf("login %v: %v %v", req, again, err)
		}
	}
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{AppId: "wx-elsewhere", Code: "wx-dan"})
	expect(t, "unknown app", err, codes.InvalidArgument, "WECHAT_APP_UNKNOWN")
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{AppId: "wx-second", Code: "nounion-dan"})
	expect(t, "no unionid, unknown openid", err, codes.FailedPrecondition, "WECHAT_PHONE_REQUIRED")

	// A member binds the second app from inside it.
	sms := e.login(t, "13900000092")
	bound, err := e.members.BindWechat(bearer(ctx, sms.AccessToken), &memberv1.BindWechatRequest{AppId: "wx-second", Code: "nounion-sms"})
	if err != nil || !bound.Member.WechatBound {
		t.Fatalf("bind in the second app: %v %v", bound, err)
	}

	// Concurrent first logins from both apps (the same person, the same
	// phone) still make one member with both openids bound.
	var wg sync.WaitGroup
	ids := make(chan string, 10)
	for i := range 10 {
		app := ""
		if i%2 == 1 {
			app = "wx-second"
		}
		wg.Go(func() {
			res, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{AppId: app, Code: "wx-erin", PhoneCode: "phone-13900000093"})
			if err != nil {
				t.Errorf("concurrent first login (app %q): %v", app, err)
				return
			}
			ids <- res.Member.Id
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Fatalf("concurrent first logins made members %v", seen)
	}
	for id := range seen {
		m, _ := members.Get(ctx, id)
		if m.OpenID == "" || m.OtherOpenIDs["wx-second"] == "" || m.UnionID == "" {
			t.Errorf("erin's ids after the race: %+v", m)
		}
	}

	// An openid bound to one member while its unionid names another cannot
	// be settled by a login: a clear conflict.
	gina, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{AppId: "wx-second", Code: "wx-gina", PhoneCode: "phone-13900000094"})
	if err != nil {
		t.Fatal(err)
	}
	other := e.login(t, "13900000095")
	ginaMain, _ := wechat.Sandbox{}.Code2Session(ctx, "wx-gina")
	if _, err := members.BindWechat(ctx, other.Member.Id, "", ginaMain.OpenID, ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{Code: "wx-gina"})
	expect(t, "openid and unionid on two members", err, codes.AlreadyExists, "WECHAT_ACCOUNT_CONFLICT")
	if again, err := e.auth.WechatLogin(ctx, &memberv1.WechatLoginRequest{AppId: "wx-second", Code: "wx-gina"}); err != nil || again.Member.Id != gina.Member.Id {
		t.Errorf("gina in the second app: %v %v", again, err)
	}
}
