package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/natsx"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
)

// TestLoyaltyThroughGateway walks points, sign-in and levels through the
// REST edge, with a paid order arriving as an event on the ORDER stream.
func TestLoyaltyThroughGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	shop := startShop(t, "")
	s := shop.Suite
	api := shop.api
	issue := func(id auth.Identity) string { return shop.token(t, id) }
	owner := issue(auth.Identity{Subject: "owner-zhang", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})

	alice := api.login(t, "13900000101")
	bob := api.login(t, "13900000102")
	num := func(v any) string { return fmt.Sprint(v) }

	t.Run("points: grant, history, holds", func(t *testing.T) {
		me := api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200)
		if num(me["available_points"]) != "0" {
			t.Fatalf("new member points %v", me)
		}
		adjust := "/v1/admin/members/" + alice.memberID + "/points:adjust"
		api.expectReason(t, "POST", adjust, owner, `{"request_id":"g1","points":100}`, 400, "REASON_REQUIRED")
		api.expectReason(t, "POST", adjust, alice.access, `{"request_id":"g1","points":100,"reason":"x"}`, 403, "ROLE_REQUIRED")
		api.expectReason(t, "POST", "/v1/admin/members/m-nobody/points:adjust", owner, `{"request_id":"g1","points":100,"reason":"x"}`, 404, "MEMBER_NOT_FOUND")
		for range 2 {
			api.expect(t, "POST", adjust, owner, `{"request_id":"g1","points":100,"reason":"welcome gift"}`, 200)
		}
		me = api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200)
		if num(me["available_points"]) != "100" || me["next_expire_time"] == nil {
			t.Fatalf("after grant %v", me)
		}
		// Holds are the checkout saga's: no REST route, service tokens only.
		api.expectReason(t, "POST", "/v1/admin/members/"+alice.memberID+"/points:freeze", owner, `{"order_id":"o-1","points":30}`, 404, "")
		conn, svc := shop.asService(t, "member")
		pts := memberv1.NewPointsServiceClient(conn)
		_, err := pts.FreezePoints(auth.OutgoingToken(context.Background(), owner), &memberv1.FreezePointsRequest{MemberId: alice.memberID, OrderId: "o-1", Points: 30})
		if errs.Reason(err) != "ROLE_REQUIRED" {
			t.Errorf("an operator freezing: %v", err)
		}
		_, err = pts.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: alice.memberID, OrderId: "o-1", Points: 300})
		if errs.Reason(err) != "POINTS_INSUFFICIENT" {
			t.Errorf("freezing too many: %v", err)
		}
		f, err := pts.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: alice.memberID, OrderId: "o-1", Points: 30})
		if err != nil || f.GetAccount().GetAvailablePoints() != 70 || f.GetAccount().GetFrozenPoints() != 30 {
			t.Errorf("freeze %v %v", f, err)
		}
		if _, err := pts.ReleasePoints(svc, &memberv1.ReleasePointsRequest{MemberId: alice.memberID, OrderId: "o-1"}); err != nil {
			t.Fatal(err)
		}
		_, err = pts.ConfirmPoints(svc, &memberv1.ConfirmPointsRequest{MemberId: alice.memberID, OrderId: "o-1"})
		if errs.Reason(err) != "POINTS_HOLD_RELEASED" {
			t.Errorf("confirming a released hold: %v", err)
		}
		_, err = pts.ConfirmPoints(svc, &memberv1.ConfirmPointsRequest{MemberId: alice.memberID, OrderId: "o-2"})
		if errs.Reason(err) != "POINTS_HOLD_NOT_FOUND" {
			t.Errorf("confirming no hold: %v", err)
		}

		page := api.expect(t, "GET", "/v1/members/me/points/entries?page_size=2", alice.access, "", 200)
		entries := page["entries"].([]any)
		if len(entries) != 2 || entries[0].(map[string]any)["kind"] != "release" || page["next_page_token"] == "" {
			t.Fatalf("history page 1: %v", page)
		}
		rest := api.expect(t, "GET", "/v1/members/me/points/entries?page_size=2&page_token="+page["next_page_token"].(string), alice.access, "", 200)
		first := rest["entries"].([]any)[0].(map[string]any)
		if first["kind"] != "adjust" || first["operator_id"] != "owner-zhang" || first["reason"] != "welcome gift" {
			t.Errorf("history page 2: %v", rest)
		}
	})

	t.Run("a member never sees another's points", func(t *testing.T) {
		b := api.expect(t, "GET", "/v1/members/me/points", bob.access, "", 200)
		if num(b["available_points"]) != "0" {
			t.Errorf("bob sees %v", b)
		}
		if e := api.expect(t, "GET", "/v1/members/me/points/entries", bob.access, "", 200); len(e["entries"].([]any)) != 0 {
			t.Errorf("bob sees entries %v", e)
		}
		api.expectReason(t, "GET", "/v1/admin/members/"+alice.memberID+"/points", bob.access, "", 403, "ROLE_REQUIRED")
		api.expectReason(t, "GET", "/v1/admin/members/"+alice.memberID+"/points/entries", bob.access, "", 403, "ROLE_REQUIRED")
		api.expectReason(t, "GET", "/v1/members/me/points", "", "", 401, "TOKEN_MISSING")
		adm := api.expect(t, "GET", "/v1/admin/members/"+alice.memberID+"/points", owner, "", 200)
		if num(adm["available_points"]) != "100" {
			t.Errorf("owner reads alice: %v", adm)
		}
	})

	t.Run("daily sign-in", func(t *testing.T) {
		first := api.expect(t, "POST", "/v1/members/me/sign-ins", alice.access, "{}", 200)
		if first["streak"] != float64(1) || num(first["points"]) != "5" || first["already_signed_in"] != false {
			t.Fatalf("sign-in %v", first)
		}
		again := api.expect(t, "POST", "/v1/members/me/sign-ins", alice.access, "{}", 200)
		if again["already_signed_in"] != true || again["day"] != first["day"] {
			t.Errorf("second sign-in %v", again)
		}
		cal := api.expect(t, "GET", "/v1/members/me/sign-ins/calendar", alice.access, "", 200)
		if days := cal["signed_days"].([]any); len(days) != 1 || days[0] != first["day"] || cal["signed_today"] != true {
			t.Errorf("calendar %v", cal)
		}
		if me := api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200); num(me["available_points"]) != "105" {
			t.Errorf("after sign-in: %v", me)
		}
	})

	t.Run("a paid order earns points and growth, a refund reverses them", func(t *testing.T) {
		tiers := api.expect(t, "GET", "/v1/levels", "", "", 200)
		if len(tiers["tiers"].([]any)) < 2 {
			t.Fatalf("tiers %v", tiers)
		}
		api.expectReason(t, "PUT", "/v1/admin/levels", owner, `{"tiers":[{"id":"v0","name":"A","growth_threshold":"5"}]}`, 400, "LEVEL_TIERS_INVALID")
		api.expect(t, "PUT", "/v1/admin/levels", owner, `{"tiers":[{"id":"v0","name":"普通"},{"id":"v1","name":"银卡","growth_threshold":"1000","discount_permille":20}]}`, 200)

		nc, err := natsx.Connect(s.NATSURL, "e2e")
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		pub := natsx.NewPublisher(js)
		paid, err := natsx.NewEvent(ctx, "siyu.order.paid", "e2e-paid-1", &orderv1.OrderPaid{EventId: "e2e-paid-1", OccurredAt: timestamppb.Now(),
			OrderId: "o-9", MemberId: alice.memberID, PaidFen: 123456})
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Publish(ctx, paid); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "growth from the paid order", func() bool {
			l := api.expect(t, "GET", "/v1/members/me/level", alice.access, "", 200)
			return num(l["growth"]) == "1234"
		})
		l := api.expect(t, "GET", "/v1/members/me/level", alice.access, "", 200)
		if l["tier"].(map[string]any)["id"] != "v1" {
			t.Errorf("level %v", l)
		}
		if me := api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200); num(me["available_points"]) != "1339" {
			t.Errorf("after paying 1234.56 yuan: %v", me)
		}
		refund, _ := natsx.NewEvent(ctx, "siyu.order.refunded", "e2e-refund-1", &orderv1.OrderRefunded{EventId: "e2e-refund-1", OccurredAt: timestamppb.Now(),
			OrderId: "o-9", MemberId: alice.memberID, RefundId: "rf-9", RefundFen: 123456, PaidFen: 123456})
		if err := pub.Publish(ctx, refund); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "growth reversed by the refund", func() bool {
			l := api.expect(t, "GET", "/v1/members/me/level", alice.access, "", 200)
			return num(l["growth"]) == "0"
		})
		if me := api.expect(t, "GET", "/v1/members/me/points", alice.access, "", 200); num(me["available_points"]) != "105" {
			t.Errorf("after the full refund: %v", me)
		}
	})
}

// TestTagsAndSegmentsThroughGateway: registrations feed rule tags, operators
// tag by hand and resolve segments over REST.
func TestTagsAndSegmentsThroughGateway(t *testing.T) {
	shop := startShop(t, "")
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-zhang", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	alice := api.login(t, "13900000201")
	bob := api.login(t, "13900000202")

	tagsOf := func(member string) map[string]bool {
		got := api.expect(t, "GET", "/v1/admin/members/"+member+"/tags", owner, "", 200)
		out := map[string]bool{}
		for _, m := range got["tags"].([]any) {
			m := m.(map[string]any)
			out[m["source"].(string)+":"+m["id"].(string)] = true
		}
		return out
	}
	// Registration reaches the tag rules through the service's own stream.
	waitUntil(t, "new members tagged new", func() bool { return tagsOf(alice.memberID)["rule:new"] && tagsOf(bob.memberID)["rule:new"] })

	api.expectReason(t, "POST", "/v1/admin/members/"+alice.memberID+"/tags", alice.access, `{"tag_id":"vip"}`, 403, "ROLE_REQUIRED")
	api.expectReason(t, "POST", "/v1/admin/members/"+alice.memberID+"/tags", owner, `{"tag_id":"V I P"}`, 400, "TAG_INVALID")
	api.expect(t, "POST", "/v1/admin/members/"+alice.memberID+"/tags", owner, `{"tag_id":"vip"}`, 200)
	if !tagsOf(alice.memberID)["manual:vip"] {
		t.Errorf("alice's tags %v", tagsOf(alice.memberID))
	}

	rules := api.expect(t, "GET", "/v1/admin/tag-rules", owner, "", 200)
	if len(rules["rules"].([]any)) != 3 {
		t.Errorf("default rules %v", rules)
	}
	api.expectReason(t, "POST", "/v1/admin/tag-rules", owner, `{"id":"loyal","name":"忠实","kind":"orders_at_least"}`, 400, "TAG_RULE_INVALID")
	api.expect(t, "POST", "/v1/admin/tag-rules", owner, `{"id":"loyal","name":"忠实","kind":"orders_at_least","threshold":"10"}`, 200)
	api.expectReason(t, "POST", "/v1/admin/tag-rules", owner, `{"id":"loyal","name":"忠实","kind":"orders_at_least","threshold":"10"}`, 409, "TAG_RULE_EXISTS")
	if r := api.expect(t, "POST", "/v1/admin/tag-rules/loyal:disable", owner, `{}`, 200); r["enabled"] != false {
		t.Errorf("disabled rule %v", r)
	}

	seg := api.expect(t, "POST", "/v1/admin/segments", owner, `{"name":"VIP 新客","filter":{"tags":["vip","new"]}}`, 200)
	id, _ := seg["id"].(string)
	if c := api.expect(t, "GET", "/v1/admin/segments/"+id+":count", owner, "", 200); fmt.Sprint(c["count"]) != "1" {
		t.Errorf("count %v", c)
	}
	members := api.expect(t, "GET", "/v1/admin/segments/"+id+"/members", owner, "", 200)
	if ms := members["members"].([]any); len(ms) != 1 || ms[0].(map[string]any)["member_id"] != alice.memberID {
		t.Errorf("segment members %v", members)
	}
	api.expectReason(t, "GET", "/v1/admin/segments/"+id+"/members", bob.access, "", 403, "ROLE_REQUIRED")
	api.expectReason(t, "GET", "/v1/admin/segments/seg-nope:count", owner, "", 404, "SEGMENT_NOT_FOUND")
	api.expectReason(t, "POST", "/v1/admin/segments", owner, `{"name":"bad","filter":{"min_points":"10","max_points":"1"}}`, 400, "SEGMENT_INVALID")
	if l := api.expect(t, "GET", "/v1/admin/segments", owner, "", 200); len(l["segments"].([]any)) != 1 {
		t.Errorf("segments %v", l)
	}

	// Edit with the version read; a stale version, a member and an unknown
	// segment are refused; delete at the current version.
	api.expectReason(t, "PATCH", "/v1/admin/segments/"+id, bob.access, `{"version":"1","name":"x"}`, 403, "ROLE_REQUIRED")
	edited := api.expect(t, "PATCH", "/v1/admin/segments/"+id, owner, `{"version":"1","name":"VIP","update_mask":"name"}`, 200)
	if edited["name"] != "VIP" || fmt.Sprint(edited["version"]) != "2" || len(edited["filter"].(map[string]any)["tags"].([]any)) != 2 {
		t.Errorf("edited %v", edited)
	}
	api.expectReason(t, "PATCH", "/v1/admin/segments/"+id, owner, `{"version":"1","name":"again"}`, 400, "SEGMENT_VERSION_MISMATCH")
	api.expectReason(t, "PATCH", "/v1/admin/segments/seg-nope", owner, `{"version":"1","name":"x"}`, 404, "SEGMENT_NOT_FOUND")
	api.expectReason(t, "DELETE", "/v1/admin/segments/"+id+"?version=2", bob.access, "", 403, "ROLE_REQUIRED")
	api.expectReason(t, "DELETE", "/v1/admin/segments/"+id+"?version=1", owner, "", 400, "SEGMENT_VERSION_MISMATCH")
	api.expect(t, "DELETE", "/v1/admin/segments/"+id+"?version=2", owner, "", 200)
	api.expectReason(t, "GET", "/v1/admin/segments/"+id+":count", owner, "", 404, "SEGMENT_NOT_FOUND")
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
