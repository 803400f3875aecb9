package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	memberv1 "siyu.dev/proto/siyu/member/v1"
)

// TestMemberAccountThroughGateway walks profile, addresses, sessions,
// invitations, the back office and account deletion through the REST edge.
func TestMemberAccountThroughGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The sandbox also plays the shop's second WeChat app.
	shop := startShop(t, "", map[string]string{"SIYU_WECHAT_OTHER_APPS": "wx-second"})
	s := shop.Suite
	seeded := shop.seed(t)
	api := shop.api
	alice := api.login(t, "13900000201")
	bob := api.login(t, "13900000202")

	t.Run("profile with a field mask from the PATCH body", func(t *testing.T) {
		got := api.expect(t, "PATCH", "/v1/members/me", alice.access, `{"nickname":"小雨","gender":"GENDER_FEMALE","birthday":"1992-06-01","marketing_consent":{"sms":true}}`, 200)
		consent, _ := got["marketing_consent"].(map[string]any)
		if got["nickname"] != "小雨" || got["gender"] != "GENDER_FEMALE" || got["birthday"] != "1992-06-01" || consent["sms"] != true {
			t.Fatalf("after PATCH: %v", got)
		}
		// Only what the body names changes.
		got = api.expect(t, "PATCH", "/v1/members/me", alice.access, `{"marketing_consent":{"in_app":true}}`, 200)
		consent, _ = got["marketing_consent"].(map[string]any)
		if got["nickname"] != "小雨" || consent["sms"] != true || consent["in_app"] != true {
			t.Fatalf("partial PATCH: %v", got)
		}
		api.expectReason(t, "PATCH", "/v1/members/me", alice.access, `{"phone":"13000000000"}`, 400, "FIELD_NOT_UPDATABLE")
		api.expectReason(t, "PATCH", "/v1/members/me", alice.access, `{"channel":"stolen"}`, 400, "FIELD_NOT_UPDATABLE")
		api.expectReason(t, "PATCH", "/v1/members/me", alice.access, `{"nickname":""}`, 400, "NICKNAME_INVALID")
		api.expectReason(t, "PATCH", "/v1/members/me", alice.access, `{"birthday":"2999-01-01"}`, 400, "BIRTHDAY_INVALID")
		api.expectReason(t, "PATCH", "/v1/members/me", "", `{"nickname":"x"}`, 401, "TOKEN_MISSING")
		me := api.expect(t, "GET", "/v1/members/me", alice.access, "", 200)
		if me["nickname"] != "小雨" || me["invite_code"] == "" {
			t.Errorf("GET me after PATCH: %v", me)
		}
	})

	t.Run("addresses and BOLA", func(t *testing.T) {
		body := `{"receiver_name":"张三","phone":"13800138000","province":"浙江省","city":"杭州市","district":"西湖区","detail":"文三路 1 号"}`
		a1 := api.expect(t, "POST", "/v1/members/me/addresses", alice.access, body, 200)
		id, _ := a1["id"].(string)
		if id == "" || a1["is_default"] != true {
			t.Fatalf("first address: %v", a1)
		}
		a2 := api.expect(t, "POST", "/v1/members/me/addresses", alice.access, strings.Replace(body, "1 号", "2 号", 1), 200)
		list := api.expect(t, "GET", "/v1/members/me/addresses", alice.access, "", 200)
		if n := len(list["addresses"].([]any)); n != 2 {
			t.Fatalf("listed %d addresses", n)
		}
		upd := api.expect(t, "PUT", "/v1/members/me/addresses/"+a2["id"].(string), alice.access, strings.Replace(body, `"detail"`, `"is_default":true,"detail"`, 1), 200)
		if upd["is_default"] != true {
			t.Fatalf("update: %v", upd)
		}
		if one := api.expect(t, "GET", "/v1/members/me/addresses/"+id, alice.access, "", 200); one["is_default"] == true {
			t.Errorf("two defaults: %v", one)
		}
		api.expectReason(t, "POST", "/v1/members/me/addresses", alice.access, strings.Replace(body, "13800138000", "057188888888", 1), 400, "ADDRESS_PHONE_INVALID")
		api.expectReason(t, "POST", "/v1/members/me/addresses", alice.access, strings.Replace(body, "西湖区", "", 1), 400, "ADDRESS_REGION_REQUIRED")

		api.expectReason(t, "GET", "/v1/members/me/addresses/"+id, bob.access, "", 404, "ADDRESS_NOT_FOUND")
		api.expectReason(t, "PUT", "/v1/members/me/addresses/"+id, bob.access, body, 404, "ADDRESS_NOT_FOUND")
		api.expectReason(t, "DELETE", "/v1/members/me/addresses/"+id, bob.access, "", 404, "ADDRESS_NOT_FOUND")
		api.expect(t, "GET", "/v1/members/me/addresses/"+id, alice.access, "", 200)

		api.expect(t, "DELETE", "/v1/members/me/addresses/"+id, alice.access, "", 200)
		api.expectReason(t, "GET", "/v1/members/me/addresses/"+id, alice.access, "", 404, "ADDRESS_NOT_FOUND")
	})

	t.Run("sessions: list, revoke, BOLA", func(t *testing.T) {
		list := api.expect(t, "GET", "/v1/members/me/sessions", alice.access, "", 200)
		sessions, _ := list["sessions"].([]any)
		if len(sessions) != 1 || sessions[0].(map[string]any)["current"] != true {
			t.Fatalf("alice's sessions: %v", list)
		}
		sid := sessions[0].(map[string]any)["id"].(string)
		api.expectReason(t, "DELETE", "/v1/members/me/sessions/"+sid, bob.access, "", 404, "SESSION_NOT_FOUND")
		api.expect(t, "POST", "/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, alice.refresh), 200)
		// The rotated token is alice's now; revoking her session kills it.
		list = api.expect(t, "GET", "/v1/members/me/sessions", bob.access, "", 200)
		bobSid := list["sessions"].([]any)[0].(map[string]any)["id"].(string)
		api.expect(t, "DELETE", "/v1/members/me/sessions/"+bobSid, bob.access, "", 200)
		api.expectReason(t, "POST", "/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, bob.refresh), 401, "REFRESH_TOKEN_INVALID")
		if l := api.expect(t, "GET", "/v1/members/me/sessions", bob.access, "", 200); len(anySlice(l["sessions"])) != 0 {
			t.Errorf("bob's sessions after revoke: %v", l)
		}
	})

	t.Run("invitation recorded at registration and published", func(t *testing.T) {
		me := api.expect(t, "GET", "/v1/members/me", alice.access, "", 200)
		code := me["invite_code"].(string)
		sent := api.expect(t, "POST", "/v1/auth/sms-codes", "", `{"phone":"13900000204"}`, 200)
		api.expectReason(t, "POST", "/v1/auth/sms-login", "", fmt.Sprintf(`{"phone":"13900000204","code":%q,"invite_code":"AAAAAAAAAAAAAAAA"}`, sent["dev_code"]), 400, "INVITE_CODE_INVALID")
		got := api.expect(t, "POST", "/v1/auth/sms-login", "", fmt.Sprintf(`{"phone":"13900000204","code":%q,"invite_code":%q,"channel":"poster-8"}`, sent["dev_code"], code), 200)
		carol := got["member"].(map[string]any)
		if carol["inviter_id"] != alice.memberID || carol["channel"] != "poster-8" {
			t.Fatalf("carol: %v", carol)
		}
		nc, err := natsx.Connect(s.NATSURL, "e2e-member")
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		stream, err := js.Stream(ctx, "MEMBER")
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			var ev memberv1.MemberRegistered
			if msg, err := stream.GetLastMsgForSubject(ctx, "siyu.member.registered"); err == nil && proto.Unmarshal(msg.Data, &ev) == nil && ev.MemberId == carol["id"] {
				if ev.InviterId != alice.memberID || ev.Channel != "poster-8" {
					t.Fatalf("member.registered = %v", &ev)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("member.registered of carol not published")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("back office: operators, roles, search, block", func(t *testing.T) {
		login := api.expect(t, "POST", "/v1/admin/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, seeded.adminUser, seeded.adminPassword), 200)
		owner := login["access_token"].(string)
		api.expect(t, "POST", "/v1/admin/operators", owner, `{"username":"ops-li","password":"a long operator password","roles":["operator"]}`, 200)
		api.expect(t, "POST", "/v1/admin/operators", owner, `{"username":"cs-wang","password":"a long service password","roles":["customer-service"]}`, 200)
		api.expectReason(t, "POST", "/v1/admin/operators", owner, `{"username":"ops-li","password":"a long operator password","roles":["operator"]}`, 409, "OPERATOR_EXISTS")
		ops := api.expect(t, "POST", "/v1/admin/auth/login", "", `{"username":"ops-li","password":"a long operator password"}`, 200)["access_token"].(string)
		cs := api.expect(t, "POST", "/v1/admin/auth/login", "", `{"username":"cs-wang","password":"a long service password"}`, 200)["access_token"].(string)
		api.expectReason(t, "POST", "/v1/admin/operators", ops, `{"username":"x-y-z","password":"a long operator password","roles":["owner"]}`, 403, "ROLE_REQUIRED")

		found := api.expect(t, "GET", "/v1/admin/members?phone=13900000201", cs, "", 200)
		if ms := anySlice(found["members"]); len(ms) != 1 || ms[0].(map[string]any)["phone"] != "139****0201" {
			t.Fatalf("customer service search: %v", found)
		}
		found = api.expect(t, "GET", "/v1/admin/members?phone=13900000201", owner, "", 200)
		if ms := anySlice(found["members"]); len(ms) != 1 || ms[0].(map[string]any)["phone"] != "13900000201" {
			t.Fatalf("owner search: %v", found)
		}
		found = api.expect(t, "GET", "/v1/admin/members?nickname="+"%E5%B0%8F%E9%9B%A8", cs, "", 200) // 小雨
		if ms := anySlice(found["members"]); len(ms) != 1 || ms[0].(map[string]any)["id"] != alice.memberID {
			t.Fatalf("nickname search: %v", found)
		}
		api.expectReason(t, "GET", "/v1/admin/members", alice.access, "", 403, "ROLE_REQUIRED")
		addrs := anySlice(api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/addresses", cs, "", 200)["addresses"])
		if len(addrs) != 1 || addrs[0].(map[string]any)["phone"] != "138****8000" {
			t.Errorf("member 360 addresses for customer service: %v", addrs)
		}
		if sess := anySlice(api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/sessions", cs, "", 200)["sessions"]); len(sess) == 0 {
			t.Errorf("member 360 sessions: none")
		}
		api.expectReason(t, "GET", "/v1/admin/members/"+alice.memberID+"/addresses", bob.access, "", 403, "ROLE_REQUIRED")
		overview := api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/overview", cs, "", 200)
		if m, _ := overview["member"].(map[string]any); m["id"] != alice.memberID || len(anySlice(overview["addresses"])) != 1 || len(anySlice(overview["sessions"])) == 0 {
			t.Errorf("member 360 overview: %v", overview)
		}
		if _, ok := overview["level"].(map[string]any)["tier"]; !ok {
			t.Errorf("member 360 overview has no tier: %v", overview["level"])
		}
		api.expectReason(t, "GET", "/v1/admin/members/"+alice.memberID+"/overview", bob.access, "", 403, "ROLE_REQUIRED")

		// The seeded demo member has never asked for a code: block it, then
		// try to log in with its first one.
		demo := anySlice(api.expect(t, "GET", "/v1/admin/members?phone="+demoPhone, ops, "", 200)["members"])
		if len(demo) != 1 {
			t.Fatalf("demo member not found: %v", demo)
		}
		demoID := demo[0].(map[string]any)["id"].(string)
		block := "/v1/admin/members/" + demoID + ":block"
		api.expectReason(t, "POST", block, cs, `{"reason":"spam"}`, 403, "ROLE_REQUIRED")
		api.expectReason(t, "POST", block, alice.access, `{}`, 403, "ROLE_REQUIRED")
		if m := api.expect(t, "POST", block, ops, `{"reason":"spam"}`, 200); m["blocked"] != true {
			t.Fatalf("block: %v", m)
		}
		sent := api.expect(t, "POST", "/v1/auth/sms-codes", "", fmt.Sprintf(`{"phone":%q}`, demoPhone), 200)
		api.expectReason(t, "POST", "/v1/auth/sms-login", "", fmt.Sprintf(`{"phone":%q,"code":%q}`, demoPhone, sent["dev_code"]), 403, "MEMBER_BLOCKED")
		if m := api.expect(t, "POST", "/v1/admin/members/"+demoID+":unblock", ops, `{}`, 200); m["blocked"] == true {
			t.Fatalf("unblock: %v", m)
		}
	})

	t.Run("wechat mini-program login through the sandbox", func(t *testing.T) {
		api.expectReason(t, "POST", "/v1/auth/wechat-login", "", `{"code":"wx-e2e"}`, 400, "WECHAT_PHONE_REQUIRED")
		api.expectReason(t, "POST", "/v1/auth/wechat-login", "", `{"code":"invalid-e2e"}`, 400, "WECHAT_CODE_INVALID")
		first := api.expect(t, "POST", "/v1/auth/wechat-login", "", `{"code":"wx-e2e","phone_code":"phone-13900000206","channel":"mp-poster"}`, 200)
		m := first["member"].(map[string]any)
		if first["registered"] != true || m["wechat_bound"] != true || m["channel"] != "mp-poster" {
			t.Fatalf("first wechat login: %v", first)
		}
		again := api.expect(t, "POST", "/v1/auth/wechat-login", "", `{"code":"wx-e2e"}`, 200)
		if again["member"].(map[string]any)["id"] != m["id"] {
			t.Fatalf("second wechat login found another member: %v", again)
		}
		// The same person in the shop's second app: another openid, the same
		// unionid, so the same member without a phone code.
		other := api.expect(t, "POST", "/v1/auth/wechat-login", "", `{"app_id":"wx-second","code":"wx-e2e"}`, 200)
		if other["registered"] == true || other["member"].(map[string]any)["id"] != m["id"] {
			t.Fatalf("login from the second app found another member: %v", other)
		}
		api.expectReason(t, "POST", "/v1/auth/wechat-login", "", `{"app_id":"wx-unknown","code":"wx-e2e"}`, 400, "WECHAT_APP_UNKNOWN")
		api.expectReason(t, "POST", "/v1/members/me/wechat", alice.access, `{"code":"wx-e2e"}`, 409, "WECHAT_ALREADY_BOUND")
		bound := api.expect(t, "POST", "/v1/members/me/wechat", alice.access, `{"code":"wx-alice-e2e"}`, 200)
		if bound["wechat_bound"] != true {
			t.Fatalf("bind: %v", bound)
		}
	})

	t.Run("account deletion", func(t *testing.T) {
		dave := api.login(t, "13900000205")
		api.expect(t, "POST", "/v1/members/me/addresses", dave.access, `{"receiver_name":"李四","phone":"13800138001","province":"上海市","city":"上海市","district":"浦东新区","detail":"世纪大道 8 号"}`, 200)
		api.expect(t, "DELETE", "/v1/members/me", dave.access, "", 200)
		api.expectReason(t, "GET", "/v1/members/me", dave.access, "", 404, "MEMBER_NOT_FOUND")
		api.expectReason(t, "POST", "/v1/auth/refresh", "", fmt.Sprintf(`{"refresh_token":%q}`, dave.refresh), 401, "REFRESH_TOKEN_INVALID")
		login := api.expect(t, "POST", "/v1/admin/auth/login", "", fmt.Sprintf(`{"username":%q,"password":%q}`, seeded.adminUser, seeded.adminPassword), 200)
		if found := api.expect(t, "GET", "/v1/admin/members?phone=13900000205", login["access_token"].(string), "", 200); len(anySlice(found["members"])) != 0 {
			t.Errorf("the deleted member is still found by phone: %v", found)
		}
	})
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// TestEndedSessionsLockTokensOut: after a logout or a block, the access
// token still has minutes to live, but the gateway refuses it once its
// short memory of the session runs out.
func TestEndedSessionsLockTokensOut(t *testing.T) {
	shop := startShop(t, "", map[string]string{"SIYU_SESSION_CHECK_TTL": "1ms"})
	api := shop.api
	owner := shop.operator(t, shop.seed(t))

	alice := api.login(t, "13900000601")
	api.expect(t, "GET", "/v1/members/me", alice.access, "", 200)
	api.expect(t, "POST", "/v1/auth/logout", "", `{"refresh_token":"`+alice.refresh+`"}`, 200)
	waitUntil(t, "logged-out token refused", func() bool {
		resp, _ := api.do("GET", "/v1/members/me", alice.access, "")
		return resp.StatusCode == 401
	})
	api.expectReason(t, "GET", "/v1/members/me/addresses", alice.access, "", 401, "SESSION_REVOKED")

	bob := api.login(t, "13900000602")
	api.expect(t, "GET", "/v1/members/me/points", bob.access, "", 200)
	api.expect(t, "POST", "/v1/admin/members/"+bob.memberID+":block", owner, `{}`, 200)
	waitUntil(t, "blocked member's token refused", func() bool {
		resp, _ := api.do("GET", "/v1/members/me/points", bob.access, "")
		return resp.StatusCode == 401
	})
}
