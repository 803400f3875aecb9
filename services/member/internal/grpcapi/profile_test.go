package grpcapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/domain"
)

func (e *env) adminToken(t *testing.T, roles ...string) context.Context {
	t.Helper()
	tok, _, err := e.issuer.Issue(auth.Identity{Subject: "admin:" + strings.Join(roles, "+"), Kind: auth.KindAdmin, Roles: roles}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return bearer(context.Background(), tok)
}

// loginWith sends a code and logs in with req (phone and code filled in).
func (e *env) loginWith(t *testing.T, req *memberv1.SmsLoginRequest) (*memberv1.SmsLoginResponse, error) {
	t.Helper()
	ctx := context.Background()
	e.clk.Advance(61 * time.Second) // past the resend interval of any earlier code
	sent, err := e.auth.SendSmsCode(ctx, &memberv1.SendSmsCodeRequest{Phone: req.Phone})
	if err != nil {
		t.Fatal(err)
	}
	req.Code = sent.DevCode
	return e.auth.SmsLogin(ctx, req)
}

// outboxEvents decodes the member's pending events of one type.
func (e *env) outboxEvents(t *testing.T, memberID, subject string, into func([]byte)) {
	t.Helper()
	var d struct {
		Outbox []struct {
			Subject string `bson:"subject"`
			Payload []byte `bson:"payload"`
		} `bson:"outbox"`
	}
	if err := e.store.Members.FindOne(context.Background(), bson.M{"_id": memberID}).Decode(&d); err != nil {
		t.Fatal(err)
	}
	for _, o := range d.Outbox {
		if o.Subject == subject {
			into(o.Payload)
		}
	}
}

func TestUpdateMe(t *testing.T) {
	e := setup(t)
	alice := e.login(t, "13900000011")
	ctx := bearer(context.Background(), alice.AccessToken)
	mask := func(p ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: p} }

	got, err := e.members.UpdateMe(ctx, &memberv1.UpdateMeRequest{
		Member: &memberv1.Member{Nickname: "小雨", Gender: memberv1.Gender_GENDER_FEMALE, Birthday: "1992-06-01", AvatarUrl: "https://cdn.example.com/a.png",
			Phone: "13000000000", Channel: "hacked", MarketingConsent: &memberv1.MarketingConsent{Sms: true, InApp: true}},
		UpdateMask: mask("nickname", "gender", "birthday", "avatar_url", "marketing_consent"),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := got.Member
	if m.Nickname != "小雨" || m.Gender != memberv1.Gender_GENDER_FEMALE || m.Birthday != "1992-06-01" || m.AvatarUrl == "" ||
		!m.MarketingConsent.Sms || !m.MarketingConsent.InApp || m.MarketingConsent.WechatSubscribe || m.Phone != "13900000011" || m.Channel != "qr-spring" {
		t.Fatalf("after update: %v", m)
	}

	// One consent path leaves the other channels and the unmasked fields alone.
	got, err = e.members.UpdateMe(ctx, &memberv1.UpdateMeRequest{Member: &memberv1.Member{Nickname: "ignored", MarketingConsent: &memberv1.MarketingConsent{WechatSubscribe: true}},
		UpdateMask: mask("marketing_consent.wechat_subscribe")})
	if err != nil || got.Member.Nickname != "小雨" || !got.Member.MarketingConsent.Sms || !got.Member.MarketingConsent.WechatSubscribe {
		t.Fatalf("partial consent: %v %v", got, err)
	}
	me, err := e.members.GetMe(ctx, &memberv1.GetMeRequest{})
	if err != nil || !proto.Equal(me.Member, got.Member) {
		t.Fatalf("GetMe after update: %v %v", me, err)
	}

	cases := []struct {
		name   string
		req    *memberv1.UpdateMeRequest
		code   codes.Code
		reason string
	}{
		{"no mask", &memberv1.UpdateMeRequest{Member: &memberv1.Member{Nickname: "x"}}, codes.InvalidArgument, "UPDATE_MASK_REQUIRED"},
		{"phone", &memberv1.UpdateMeRequest{Member: &memberv1.Member{Phone: "13000000000"}, UpdateMask: mask("phone")}, codes.InvalidArgument, "FIELD_NOT_UPDATABLE"},
		{"channel is read-only", &memberv1.UpdateMeRequest{Member: &memberv1.Member{Channel: "x"}, UpdateMask: mask("nickname", "channel")}, codes.InvalidArgument, "FIELD_NOT_UPDATABLE"},
		{"unknown path", &memberv1.UpdateMeRequest{UpdateMask: mask("marketing_consent.email")}, codes.InvalidArgument, "FIELD_NOT_UPDATABLE"},
		{"empty nickname", &memberv1.UpdateMeRequest{UpdateMask: mask("nickname")}, codes.InvalidArgument, "NICKNAME_INVALID"},
		{"http avatar", &memberv1.UpdateMeRequest{Member: &memberv1.Member{AvatarUrl: "http://x.cn/a.png"}, UpdateMask: mask("avatar_url")}, codes.InvalidArgument, "AVATAR_URL_INVALID"},
		{"gender out of range", &memberv1.UpdateMeRequest{Member: &memberv1.Member{Gender: 42}, UpdateMask: mask("gender")}, codes.InvalidArgument, "GENDER_INVALID"},
		{"future birthday", &memberv1.UpdateMeRequest{Member: &memberv1.Member{Birthday: "2999-01-01"}, UpdateMask: mask("birthday")}, codes.InvalidArgument, "BIRTHDAY_INVALID"},
	}
	for _, c := range cases {
		_, err := e.members.UpdateMe(ctx, c.req)
		expect(t, c.name, err, c.code, c.reason)
	}
	_, err = e.members.UpdateMe(context.Background(), &memberv1.UpdateMeRequest{UpdateMask: mask("nickname")})
	expect(t, "anonymous", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = e.members.UpdateMe(e.adminToken(t, auth.RoleOwner), &memberv1.UpdateMeRequest{UpdateMask: mask("nickname")})
	expect(t, "operator", err, codes.PermissionDenied, "ROLE_REQUIRED")
}

func newAddress(detail string, def bool) *memberv1.Address {
	return &memberv1.Address{ReceiverName: "张三", Phone: "13800138000", Province: "浙江省", City: "杭州市", District: "西湖区", Detail: detail, IsDefault: def}
}

func TestAddressesCRUDAndBOLA(t *testing.T) {
	e := setup(t)
	alice := bearer(context.Background(), e.login(t, "13900000021").AccessToken)
	bob := bearer(context.Background(), e.login(t, "13900000022").AccessToken)

	a1, err := e.addrs.CreateMyAddress(alice, &memberv1.CreateMyAddressRequest{Address: newAddress("文三路 1 号", false)})
	if err != nil || !a1.Address.IsDefault || a1.Address.Id == "" {
		t.Fatalf("first address is the default: %v %v", a1, err)
	}
	a2, err := e.addrs.CreateMyAddress(alice, &memberv1.CreateMyAddressRequest{Address: newAddress("文三路 2 号", true)})
	if err != nil || !a2.Address.IsDefault {
		t.Fatalf("second default: %v %v", a2, err)
	}
	list, err := e.addrs.ListMyAddresses(alice, &memberv1.ListMyAddressesRequest{})
	if err != nil || len(list.Addresses) != 2 || list.Addresses[0].Id != a2.Address.Id || list.Addresses[1].IsDefault {
		t.Fatalf("list: %v %v", list, err)
	}
	upd := newAddress("文三路 1 号 3 楼", true)
	got, err := e.addrs.UpdateMyAddress(alice, &memberv1.UpdateMyAddressRequest{AddressId: a1.Address.Id, Address: upd})
	if err != nil || got.Address.Detail != "文三路 1 号 3 楼" || !got.Address.IsDefault {
		t.Fatalf("update: %v %v", got, err)
	}
	one, err := e.addrs.GetMyAddress(alice, &memberv1.GetMyAddressRequest{AddressId: a2.Address.Id})
	if err != nil || one.Address.IsDefault {
		t.Fatalf("a2 lost the default: %v %v", one, err)
	}
	_, err = e.addrs.UpdateMyAddress(alice, &memberv1.UpdateMyAddressRequest{AddressId: a1.Address.Id, Address: newAddress("文三路 1 号", false)})
	expect(t, "unset the default", err, codes.FailedPrecondition, "ADDRESS_DEFAULT_REQUIRED")

	// Bob cannot see, change or delete Alice's address: NOT_FOUND, as if it did not exist.
	_, err = e.addrs.GetMyAddress(bob, &memberv1.GetMyAddressRequest{AddressId: a1.Address.Id})
	expect(t, "bob reads", err, codes.NotFound, "ADDRESS_NOT_FOUND")
	_, err = e.addrs.UpdateMyAddress(bob, &memberv1.UpdateMyAddressRequest{AddressId: a1.Address.Id, Address: newAddress("抢走", true)})
	expect(t, "bob updates", err, codes.NotFound, "ADDRESS_NOT_FOUND")
	_, err = e.addrs.DeleteMyAddress(bob, &memberv1.DeleteMyAddressRequest{AddressId: a1.Address.Id})
	expect(t, "bob deletes", err, codes.NotFound, "ADDRESS_NOT_FOUND")
	if l, _ := e.addrs.ListMyAddresses(bob, &memberv1.ListMyAddressesRequest{}); len(l.Addresses) != 0 {
		t.Errorf("bob lists %v", l.Addresses)
	}
	if one, err := e.addrs.GetMyAddress(alice, &memberv1.GetMyAddressRequest{AddressId: a1.Address.Id}); err != nil || one.Address.Detail != "文三路 1 号 3 楼" {
		t.Fatalf("alice's address changed by bob's attempts: %v %v", one, err)
	}

	bad := []struct {
		name   string
		a      *memberv1.Address
		reason string
	}{
		{"nothing", nil, "ADDRESS_REQUIRED"},
		{"landline", &memberv1.Address{ReceiverName: "张三", Phone: "057188888888", Province: "浙江省", City: "杭州市", District: "西湖区", Detail: "文三路"}, "ADDRESS_PHONE_INVALID"},
		{"no district", &memberv1.Address{ReceiverName: "张三", Phone: "13800138000", Province: "浙江省", City: "杭州市", Detail: "文三路"}, "ADDRESS_REGION_REQUIRED"},
		{"long detail", newAddress(strings.Repeat("路", 121), false), "ADDRESS_DETAIL_INVALID"},
		{"no receiver", &memberv1.Address{Phone: "13800138000", Province: "浙江省", City: "杭州市", District: "西湖区", Detail: "文三路"}, "RECEIVER_NAME_INVALID"},
	}
	for _, c := range bad {
		_, err := e.addrs.CreateMyAddress(alice, &memberv1.CreateMyAddressRequest{Address: c.a})
		expect(t, "create "+c.name, err, codes.InvalidArgument, c.reason)
	}
	_, err = e.addrs.GetMyAddress(alice, &memberv1.GetMyAddressRequest{})
	expect(t, "no id", err, codes.InvalidArgument, "ADDRESS_ID_REQUIRED")

	if _, err := e.addrs.DeleteMyAddress(alice, &memberv1.DeleteMyAddressRequest{AddressId: a1.Address.Id}); err != nil {
		t.Fatal(err)
	}
	list, _ = e.addrs.ListMyAddresses(alice, &memberv1.ListMyAddressesRequest{})
	if len(list.Addresses) != 1 || list.Addresses[0].Id != a2.Address.Id || !list.Addresses[0].IsDefault {
		t.Fatalf("deleting the default hands it over: %v", list.Addresses)
	}
	_, err = e.addrs.DeleteMyAddress(alice, &memberv1.DeleteMyAddressRequest{AddressId: a1.Address.Id})
	expect(t, "delete twice", err, codes.NotFound, "ADDRESS_NOT_FOUND")
	_, err = e.addrs.ListMyAddresses(e.adminToken(t, auth.RoleOwner), &memberv1.ListMyAddressesRequest{})
	expect(t, "operator", err, codes.PermissionDenied, "ROLE_REQUIRED")
}

// TestAddressLimitUnderConcurrency: 30 concurrent creates on an empty book
// store exactly 20 addresses with exactly one default.
func TestAddressLimitUnderConcurrency(t *testing.T) {
	e := setup(t)
	carol := bearer(context.Background(), e.login(t, "13900000023").AccessToken)
	var ok, full atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.addrs.CreateMyAddress(carol, &memberv1.CreateMyAddressRequest{Address: newAddress(fmt.Sprintf("文三路 %d 号", i), i%3 == 0)})
			switch {
			case err == nil:
				ok.Add(1)
			case errs.Reason(err) == "ADDRESS_LIMIT_REACHED":
				full.Add(1)
			default:
				t.Errorf("create %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	list, err := e.addrs.ListMyAddresses(carol, &memberv1.ListMyAddressesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	defaults := 0
	for _, a := range list.Addresses {
		if a.IsDefault {
			defaults++
		}
	}
	if ok.Load() != domain.MaxAddresses || full.Load() != 10 || len(list.Addresses) != domain.MaxAddresses || defaults != 1 {
		t.Fatalf("created %d, refused %d, stored %d with %d defaults; want 20, 10, 20, 1", ok.Load(), full.Load(), len(list.Addresses), defaults)
	}
}

func TestSessionsListRevokeAndBOLA(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	first := e.login(t, "13900000031")
	second, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000031"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000032"})
	if err != nil {
		t.Fatal(err)
	}
	me := bearer(ctx, second.AccessToken)
	list, err := e.members.ListMySessions(me, &memberv1.ListMySessionsRequest{})
	if err != nil || len(list.Sessions) != 2 {
		t.Fatalf("sessions: %v %v", list, err)
	}
	var current, other string
	for _, s := range list.Sessions {
		if s.Method != "sms" {
			t.Errorf("method %q", s.Method)
		}
		if s.Current {
			current = s.Id
		} else {
			other = s.Id
		}
	}
	if current == "" || other == "" || !strings.HasPrefix(second.RefreshToken, current+".") {
		t.Fatalf("current flag: %v", list.Sessions)
	}

	_, err = e.members.RevokeMySession(bearer(ctx, bob.AccessToken), &memberv1.RevokeMySessionRequest{SessionId: other})
	expect(t, "bob revokes alice's session", err, codes.NotFound, "SESSION_NOT_FOUND")
	if _, err := e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: first.RefreshToken}); err != nil {
		t.Fatalf("alice's session survived bob's attempt: %v", err)
	}
	_, err = e.members.RevokeMySession(me, &memberv1.RevokeMySessionRequest{})
	expect(t, "no id", err, codes.InvalidArgument, "SESSION_ID_REQUIRED")

	if _, err := e.members.RevokeMySession(me, &memberv1.RevokeMySessionRequest{SessionId: other}); err != nil {
		t.Fatal(err)
	}
	list, _ = e.members.ListMySessions(me, &memberv1.ListMySessionsRequest{})
	if len(list.Sessions) != 1 || list.Sessions[0].Id != current {
		t.Fatalf("after revoke: %v", list.Sessions)
	}
	_, err = e.members.RevokeMySession(me, &memberv1.RevokeMySessionRequest{SessionId: other})
	expect(t, "revoke twice", err, codes.NotFound, "SESSION_NOT_FOUND")

	// Logout ends the current session too.
	if _, err := e.auth.Logout(ctx, &memberv1.LogoutRequest{RefreshToken: second.RefreshToken}); err != nil {
		t.Fatal(err)
	}
	if list, _ = e.members.ListMySessions(me, &memberv1.ListMySessionsRequest{}); len(list.Sessions) != 0 {
		t.Fatalf("after logout: %v", list.Sessions)
	}
}

func TestAdminBlockSearchAndOperators(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	alice := e.login(t, "13900000041")
	for i := 2; i <= 5; i++ {
		if _, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: fmt.Sprintf("1390000004%d", i), Channel: "store-9"}); err != nil {
			t.Fatal(err)
		}
	}
	owner, operator, cs := e.adminToken(t, auth.RoleOwner), e.adminToken(t, auth.RoleOperator), e.adminToken(t, auth.RoleCustomerService)
	member := bearer(ctx, alice.AccessToken)

	// Roles: customer service reads but does not block; members do neither.
	_, err := e.members.BlockMember(cs, &memberv1.BlockMemberRequest{MemberId: alice.Member.Id})
	expect(t, "customer service blocks", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.BlockMember(member, &memberv1.BlockMemberRequest{MemberId: alice.Member.Id})
	expect(t, "member blocks", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.SearchMembers(member, &memberv1.SearchMembersRequest{})
	expect(t, "member searches", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.BlockMember(operator, &memberv1.BlockMemberRequest{MemberId: "m_nobody"})
	expect(t, "unknown member", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.members.BlockMember(operator, &memberv1.BlockMemberRequest{})
	expect(t, "no member id", err, codes.InvalidArgument, "MEMBER_ID_REQUIRED")

	// Search with masked phones for everyone but owners.
	found, err := e.members.SearchMembers(cs, &memberv1.SearchMembersRequest{Phone: "13900000041"})
	if err != nil || len(found.Members) != 1 || found.Members[0].Phone != "139****0041" {
		t.Fatalf("search by phone (customer service): %v %v", found, err)
	}
	found, err = e.members.SearchMembers(owner, &memberv1.SearchMembersRequest{Phone: "13900000041"})
	if err != nil || len(found.Members) != 1 || found.Members[0].Phone != "13900000041" {
		t.Fatalf("search by phone (owner): %v %v", found, err)
	}
	found, err = e.members.SearchMembers(cs, &memberv1.SearchMembersRequest{Nickname: "0043"})
	if err != nil || len(found.Members) != 1 || found.Members[0].Nickname != "会员0043" {
		t.Fatalf("search by nickname: %v %v", found, err)
	}
	found, err = e.members.SearchMembers(cs, &memberv1.SearchMembersRequest{Nickname: ".*"})
	if err != nil || len(found.Members) != 0 {
		t.Fatalf("nickname is a substring, not a pattern: %v %v", found, err)
	}
	seen := map[string]bool{}
	token := ""
	for pages := 0; ; pages++ {
		page, err := e.members.SearchMembers(operator, &memberv1.SearchMembersRequest{Channel: "store-9", PageSize: 3, PageToken: token})
		if err != nil || pages > 3 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, m := range page.Members {
			if seen[m.Id] || m.Channel != "store-9" {
				t.Fatalf("member %v twice or from another channel", m)
			}
			seen[m.Id] = true
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	if len(seen) != 4 {
		t.Fatalf("channel store-9 has %d members, want 4", len(seen))
	}
	_, err = e.members.SearchMembers(operator, &memberv1.SearchMembersRequest{Channel: "qr-spring", PageToken: "bm90LWEtdG9rZW4"})
	expect(t, "forged page token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	_, err = e.members.SearchMembers(operator, &memberv1.SearchMembersRequest{Phone: "139"})
	expect(t, "partial phone", err, codes.InvalidArgument, "PHONE_INVALID")
	_, err = e.members.SearchMembers(operator, &memberv1.SearchMembersRequest{PageSize: -1})
	expect(t, "negative page size", err, codes.InvalidArgument, "PAGE_SIZE_INVALID")

	// The member 360 view: addresses (receiver phones masked but for
	// owners) and live sessions.
	if _, err := e.addrs.CreateMyAddress(member, &memberv1.CreateMyAddressRequest{Address: newAddress("文三路 7 号", true)}); err != nil {
		t.Fatal(err)
	}
	addrs, err := e.members.ListMemberAddresses(cs, &memberv1.ListMemberAddressesRequest{MemberId: alice.Member.Id})
	if err != nil || len(addrs.Addresses) != 1 || addrs.Addresses[0].Phone != "138****8000" {
		t.Fatalf("addresses for customer service: %v %v", addrs, err)
	}
	addrs, err = e.members.ListMemberAddresses(owner, &memberv1.ListMemberAddressesRequest{MemberId: alice.Member.Id})
	if err != nil || addrs.Addresses[0].Phone != "13800138000" {
		t.Fatalf("addresses for the owner: %v %v", addrs, err)
	}
	sess, err := e.members.ListMemberSessions(cs, &memberv1.ListMemberSessionsRequest{MemberId: alice.Member.Id})
	if err != nil || len(sess.Sessions) != 1 {
		t.Fatalf("sessions: %v %v", sess, err)
	}
	_, err = e.members.ListMemberAddresses(member, &memberv1.ListMemberAddressesRequest{MemberId: alice.Member.Id})
	expect(t, "member reads addresses via admin", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.ListMemberSessions(cs, &memberv1.ListMemberSessionsRequest{MemberId: "m_nobody"})
	expect(t, "sessions of nobody", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.members.ListMemberAddresses(cs, &memberv1.ListMemberAddressesRequest{})
	expect(t, "addresses without id", err, codes.InvalidArgument, "MEMBER_ID_REQUIRED")

	// Blocking revokes sessions and stops logins; unblocking lets them in again.
	blocked, err := e.members.BlockMember(operator, &memberv1.BlockMemberRequest{MemberId: alice.Member.Id, Reason: "fraud"})
	if err != nil || !blocked.Member.Blocked || blocked.Member.Phone != "139****0041" {
		t.Fatalf("block: %v %v", blocked, err)
	}
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: alice.RefreshToken})
	expect(t, "refresh while blocked", err, codes.Unauthenticated, "REFRESH_TOKEN_INVALID")
	_, err = e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000041"})
	expect(t, "login while blocked", err, codes.PermissionDenied, "MEMBER_BLOCKED")
	var ev memberv1.MemberBlocked
	e.outboxEvents(t, alice.Member.Id, "siyu.member.blocked", func(b []byte) { _ = proto.Unmarshal(b, &ev) })
	if !ev.Blocked || ev.Reason != "fraud" || ev.Operator != "admin:operator" {
		t.Errorf("member.blocked = %v", &ev)
	}
	if _, err := e.members.UnblockMember(owner, &memberv1.UnblockMemberRequest{MemberId: alice.Member.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000041"}); err != nil {
		t.Fatalf("login after unblock: %v", err)
	}

	// Operators are created by owners only.
	req := &memberv1.CreateOperatorRequest{Username: "shop-ops", Password: "correct horse battery", Roles: []string{auth.RoleOperator}}
	_, err = e.members.CreateOperator(operator, req)
	expect(t, "operator creates operator", err, codes.PermissionDenied, "ROLE_REQUIRED")
	created, err := e.members.CreateOperator(owner, req)
	if err != nil || created.Username != "shop-ops" {
		t.Fatalf("create operator: %v %v", created, err)
	}
	_, err = e.members.CreateOperator(owner, req)
	expect(t, "twice", err, codes.AlreadyExists, "OPERATOR_EXISTS")
	login, err := e.auth.AdminLogin(ctx, &memberv1.AdminLoginRequest{Username: "shop-ops", Password: "correct horse battery"})
	if err != nil || len(login.Roles) != 1 || login.Roles[0] != auth.RoleOperator {
		t.Fatalf("new operator logs in: %v %v", login, err)
	}
	for name, c := range map[string]struct {
		req    *memberv1.CreateOperatorRequest
		reason string
	}{
		"short password": {&memberv1.CreateOperatorRequest{Username: "a-b-c", Password: "short", Roles: []string{auth.RoleOperator}}, "PASSWORD_TOO_SHORT"},
		"no roles":       {&memberv1.CreateOperatorRequest{Username: "a-b-c", Password: "long enough password"}, "ROLES_INVALID"},
		"unknown role":   {&memberv1.CreateOperatorRequest{Username: "a-b-c", Password: "long enough password", Roles: []string{"root"}}, "ROLES_INVALID"},
		"bad username":   {&memberv1.CreateOperatorRequest{Username: "A B", Password: "long enough password", Roles: []string{auth.RoleOperator}}, "USERNAME_INVALID"},
	} {
		_, err := e.members.CreateOperator(owner, c.req)
		expect(t, name, err, codes.InvalidArgument, c.reason)
	}
}

func TestInvitations(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	alice := e.login(t, "13900000051")
	if alice.Member.InviteCode == "" || alice.Member.InviterId != "" {
		t.Fatalf("alice: %v", alice.Member)
	}

	_, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000052", InviteCode: "AAAAAAAAAAAAAAAA"})
	expect(t, "unknown code", err, codes.InvalidArgument, "INVITE_CODE_INVALID")
	_, err = e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000052", InviteCode: "bad!"})
	expect(t, "malformed code", err, codes.InvalidArgument, "INVITE_CODE_INVALID")
	_, err = e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000052", InviteCode: alice.Member.InviteCode, InviterId: alice.Member.Id})
	expect(t, "both", err, codes.InvalidArgument, "INVITER_AMBIGUOUS")

	bob, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000052", InviteCode: alice.Member.InviteCode, Channel: "poster-3"})
	if err != nil || !bob.Registered || bob.Member.InviterId != alice.Member.Id || bob.Member.Channel != "poster-3" {
		t.Fatalf("bob invited by alice: %v %v", bob, err)
	}
	var ev memberv1.MemberRegistered
	e.outboxEvents(t, bob.Member.Id, "siyu.member.registered", func(b []byte) { _ = proto.Unmarshal(b, &ev) })
	if ev.InviterId != alice.Member.Id || ev.Channel != "poster-3" || ev.MemberId != bob.Member.Id {
		t.Errorf("member.registered = %v", &ev)
	}

	// The invitation is fixed at registration: later logins with another
	// inviter (even bob inviting alice back) change nothing.
	carol, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000053", InviterId: bob.Member.Id})
	if err != nil || carol.Member.InviterId != bob.Member.Id {
		t.Fatalf("carol by id: %v %v", carol, err)
	}
	again, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000052", InviterId: carol.Member.Id})
	if err != nil || again.Registered || again.Member.InviterId != alice.Member.Id {
		t.Fatalf("second login keeps the first inviter: %v %v", again, err)
	}
	back, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000051", InviteCode: bob.Member.InviteCode})
	if err != nil || back.Member.InviterId != "" {
		t.Fatalf("alice cannot become bob's invitee: %v %v", back, err)
	}
	_, err = e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000054", InviterId: "m_nobody"})
	expect(t, "unknown inviter id", err, codes.InvalidArgument, "INVITE_CODE_INVALID")

	// A blocked inviter invites nobody.
	if _, err := e.members.BlockMember(e.adminToken(t, auth.RoleOwner), &memberv1.BlockMemberRequest{MemberId: alice.Member.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000055", InviteCode: alice.Member.InviteCode})
	expect(t, "blocked inviter", err, codes.InvalidArgument, "INVITE_CODE_INVALID")
	_ = ctx
}

func TestDeleteMe(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	alice := e.login(t, "13900000061")
	me := bearer(ctx, alice.AccessToken)
	if _, err := e.addrs.CreateMyAddress(me, &memberv1.CreateMyAddressRequest{Address: newAddress("文三路 9 号", true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.members.UpdateMe(me, &memberv1.UpdateMeRequest{Member: &memberv1.Member{Nickname: "小雨", Birthday: "1990-01-01"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"nickname", "birthday"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.members.DeleteMe(me, &memberv1.DeleteMeRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err := e.members.GetMe(me, &memberv1.GetMeRequest{})
	expect(t, "me after deletion", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.addrs.ListMyAddresses(me, &memberv1.ListMyAddressesRequest{})
	expect(t, "addresses after deletion", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: alice.RefreshToken})
	expect(t, "refresh after deletion", err, codes.Unauthenticated, "REFRESH_TOKEN_INVALID")
	if _, err := e.members.DeleteMe(me, &memberv1.DeleteMeRequest{}); err != nil {
		t.Fatalf("deleting twice is harmless: %v", err)
	}

	got, err := e.members.GetMember(e.adminToken(t, auth.RoleOwner), &memberv1.GetMemberRequest{MemberId: alice.Member.Id})
	if err != nil {
		t.Fatal(err)
	}
	m := got.Member
	if strings.Contains(m.Phone, "0061") || m.Nickname != domain.DeletedNickname || m.Birthday != "" || m.AvatarUrl != "" || !m.Deleted {
		t.Errorf("not anonymised: %v", m)
	}
	raw, _ := e.store.Members.FindOne(ctx, bson.M{"_id": alice.Member.Id}).Raw()
	for _, secret := range []string{"13900000061", "文三路", "小雨", "1990-01-01"} {
		if strings.Contains(raw.String(), secret) {
			t.Errorf("the stored document still holds %q", secret)
		}
	}
	var ev memberv1.MemberDeleted
	e.outboxEvents(t, alice.Member.Id, "siyu.member.deleted", func(b []byte) { _ = proto.Unmarshal(b, &ev) })
	if ev.MemberId != alice.Member.Id {
		t.Errorf("member.deleted = %v", &ev)
	}
	found, _ := e.members.SearchMembers(e.adminToken(t, auth.RoleOwner), &memberv1.SearchMembersRequest{Nickname: domain.DeletedNickname})
	if len(found.Members) != 0 {
		t.Errorf("search finds deleted members: %v", found.Members)
	}

	// The phone is free again: the next login registers a new member.
	fresh, err := e.loginWith(t, &memberv1.SmsLoginRequest{Phone: "13900000061"})
	if err != nil || !fresh.Registered || fresh.Member.Id == alice.Member.Id {
		t.Fatalf("re-registration: %v %v", fresh, err)
	}
}

// TestRefreshChecksTheMember: a session that outlived its member's block
// (a refresh racing with BlockMember) still cannot rotate.
func TestRefreshChecksTheMember(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	res := e.login(t, "13900000091")
	if _, err := e.store.Members.UpdateOne(ctx, bson.M{"_id": res.Member.Id}, bson.M{"$set": bson.M{"blocked": true}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: res.RefreshToken})
	expect(t, "refresh of a blocked member", err, codes.PermissionDenied, "MEMBER_BLOCKED")
	if _, err := e.store.Members.UpdateOne(ctx, bson.M{"_id": res.Member.Id}, bson.M{"$set": bson.M{"blocked": false}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.auth.RefreshToken(ctx, &memberv1.RefreshTokenRequest{RefreshToken: res.RefreshToken})
	expect(t, "the session was revoked with the refusal", err, codes.Unauthenticated, "REFRESH_TOKEN_INVALID")
}
