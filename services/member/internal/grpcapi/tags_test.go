package grpcapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	"siyu.dev/services/member/internal/consumers"
	"siyu.dev/services/member/internal/domain"
)

func (e *loyaltyEnv) tagIDs(t *testing.T, member string) []string {
	t.Helper()
	got, err := e.tags.ListMemberTags(e.operator(t), &memberv1.ListMemberTagsRequest{MemberId: member})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range got.Tags {
		ids = append(ids, m.Source+":"+m.Id)
	}
	slices.Sort(ids)
	return ids
}

func TestTagsAndSegments(t *testing.T) {
	now := time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)
	e := setupLoyalty(t, now)
	e.members["m-carol"] = domain.Member{Consent: domain.Consent{SMS: true}}
	e.members["m-bob"] = domain.Member{Consent: domain.Consent{SMS: true, InApp: true}}
	ctx, op := context.Background(), e.operator(t)
	day := 24 * time.Hour

	// Registrations arrive on the service's own stream.
	stop, err := consumers.StartMembers(ctx, e.js, e.l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	publishOrder(t, e.js, "siyu.member.registered", "reg-alice", &memberv1.MemberRegistered{EventId: "reg-alice", OccurredAt: timestamppb.New(now.Add(-2 * day)), MemberId: "m-alice", Channel: "qr-1"})
	publishOrder(t, e.js, "siyu.member.registered", "reg-bob", &memberv1.MemberRegistered{EventId: "reg-bob", OccurredAt: timestamppb.New(now.Add(-60 * day)), MemberId: "m-bob", Channel: "store-1"})
	publishOrder(t, e.js, "siyu.member.registered", "reg-carol", &memberv1.MemberRegistered{EventId: "reg-carol", OccurredAt: timestamppb.New(now.Add(-20 * day)), MemberId: "m-carol", Channel: "store-1", InviterId: "m-bob"})
	publishOrder(t, e.js, "siyu.member.logged_in", "login-carol", &memberv1.MemberLoggedIn{EventId: "login-carol", OccurredAt: timestamppb.New(now.Add(-1 * day)), MemberId: "m-carol", Method: "sms"})
	waitFor(t, "registrations", func() bool {
		return slices.Equal(e.tagIDs(t, "m-alice"), []string{"rule:new"}) && slices.Equal(e.tagIDs(t, "m-bob"), []string{"rule:dormant"})
	})
	// Bob invited carol: 50 points (the default), once however often the event comes.
	publishOrder(t, e.js, "siyu.member.registered", "reg-carol-again", &memberv1.MemberRegistered{EventId: "reg-carol-again", OccurredAt: timestamppb.New(now.Add(-20 * day)), MemberId: "m-carol", Channel: "store-1", InviterId: "m-bob"})
	waitFor(t, "the invitation reward", func() bool { return e.balance(t, "m-bob").AvailablePoints == 50 })
	time.Sleep(200 * time.Millisecond)
	if got := e.balance(t, "m-bob").AvailablePoints; got != 50 {
		t.Errorf("bob has %d points after one invitation, want 50", got)
	}
	// Alice pays three orders with coupons or a flash sale.
	for i, promo := range []string{"coupon", "flash_sale", "coupon"} {
		if err := e.l.OrderPaid(ctx, "m-alice", "ord-"+string(rune('a'+i)), 15000, now.Add(-time.Duration(i)*day), []string{promo}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.tagIDs(t, "m-alice"); !slices.Equal(got, []string{"rule:new", "rule:promotion-sensitive"}) {
		t.Errorf("alice after three promotion orders: %v", got)
	}

	// Manual tags.
	_, err = e.tags.AddMemberTag(op, &memberv1.AddMemberTagRequest{MemberId: "m-bob", TagId: "Not Valid"})
	wantStatus(t, "invalid tag", err, codes.InvalidArgument, "TAG_INVALID")
	_, err = e.tags.AddMemberTag(op, &memberv1.AddMemberTagRequest{MemberId: "m-nobody", TagId: "vip"})
	wantStatus(t, "unknown member", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.tags.AddMemberTag(e.member(t, "m-bob"), &memberv1.AddMemberTagRequest{MemberId: "m-bob", TagId: "vip"})
	wantStatus(t, "member tagging himself", err, codes.PermissionDenied, "ROLE_REQUIRED")
	for range 2 {
		if _, err := e.tags.AddMemberTag(op, &memberv1.AddMemberTagRequest{MemberId: "m-bob", TagId: "vip"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.tagIDs(t, "m-bob"); !slices.Equal(got, []string{"manual:vip", "rule:dormant"}) {
		t.Errorf("bob: %v", got)
	}

	// Rules are data: list, create, disable.
	rules, err := e.tags.ListTagRules(op, &memberv1.ListTagRulesRequest{})
	if err != nil || len(rules.Rules) != 3 {
		t.Fatalf("default rules %v %v", rules, err)
	}
	_, err = e.tags.CreateTagRule(op, &memberv1.CreateTagRuleRequest{Rule: &memberv1.TagRule{Id: "big", Name: "大客户", Kind: "astrology"}})
	wantStatus(t, "unknown rule kind", err, codes.InvalidArgument, "TAG_RULE_INVALID")
	_, err = e.tags.CreateTagRule(op, &memberv1.CreateTagRuleRequest{Rule: &memberv1.TagRule{Id: "dormant", Name: "x", Kind: "orders_at_least", Threshold: 1}})
	wantStatus(t, "existing id", err, codes.AlreadyExists, "TAG_RULE_EXISTS")
	if _, err := e.tags.CreateTagRule(op, &memberv1.CreateTagRuleRequest{Rule: &memberv1.TagRule{Id: "big-spender", Name: "大客户", Kind: "spend_at_least_fen", Threshold: 30000}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tags.DisableTagRule(op, &memberv1.DisableTagRuleRequest{Id: "new"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.tags.DisableTagRule(op, &memberv1.DisableTagRuleRequest{Id: "nope"})
	wantStatus(t, "disable unknown", err, codes.NotFound, "TAG_RULE_NOT_FOUND")
	if n, err := e.l.SweepTags(ctx); err != nil || n != 3 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if got := e.tagIDs(t, "m-alice"); !slices.Equal(got, []string{"rule:big-spender", "rule:promotion-sensitive"}) {
		t.Errorf("alice after the sweep: %v", got)
	}
	// Forty days on, carol (last seen yesterday) is dormant too.
	e.clk.Advance(40 * day)
	if _, err := e.l.SweepTags(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.tagIDs(t, "m-carol"); !slices.Equal(got, []string{"rule:dormant"}) {
		t.Errorf("carol 40 days later: %v", got)
	}
	op = e.operator(t) // the tokens of 40 days ago have expired
	tagged := e.collect(t, "siyu.member.tagged", 9)
	var first memberv1.MemberTagged
	if err := proto.Unmarshal(tagged[0].Data, &first); err != nil || first.TagId == "" || first.MemberId == "" || !first.Added {
		t.Errorf("tagged event %v %v", &first, err)
	}

	// Segments.
	_, err = e.segments.CreateSegment(op, &memberv1.CreateSegmentRequest{Name: "x", Filter: &memberv1.SegmentFilter{MinPoints: proto.Int64(10), MaxPoints: proto.Int64(1)}})
	wantStatus(t, "inconsistent filter", err, codes.InvalidArgument, "SEGMENT_INVALID")
	_, err = e.segments.CreateSegment(op, &memberv1.CreateSegmentRequest{Filter: &memberv1.SegmentFilter{}})
	wantStatus(t, "no name", err, codes.InvalidArgument, "SEGMENT_INVALID")
	_, err = e.segments.CreateSegment(op, &memberv1.CreateSegmentRequest{})
	wantStatus(t, "no name and no filter at all", err, codes.InvalidArgument, "SEGMENT_INVALID")
	_, err = e.segments.CountSegmentMembers(op, &memberv1.CountSegmentMembersRequest{SegmentId: "seg-none"})
	wantStatus(t, "unknown segment", err, codes.NotFound, "SEGMENT_NOT_FOUND")
	mk := func(name string, f *memberv1.SegmentFilter) string {
		s, err := e.segments.CreateSegment(op, &memberv1.CreateSegmentRequest{Name: name, Filter: f})
		if err != nil {
			t.Fatal(err)
		}
		return s.Segment.Id
	}
	// (Alice's promotion orders are now older than 30 days: she is no
	// longer promotion-sensitive, but still a big spender.)
	if got := e.tagIDs(t, "m-alice"); !slices.Equal(got, []string{"rule:big-spender", "rule:dormant"}) {
		t.Errorf("alice 40 days later: %v", got)
	}
	promoLovers := mk("大客户", &memberv1.SegmentFilter{Tags: []string{"big-spender"}, MinOrders: proto.Int64(3), MinPoints: proto.Int64(400)})
	stores := mk("门店会员", &memberv1.SegmentFilter{Channels: []string{"store-1"}, Tags: []string{"dormant"}})
	recent := mk("近期注册", &memberv1.SegmentFilter{RegisteredAfter: timestamppb.New(now.Add(-3 * day)), ActiveAfter: timestamppb.New(now.Add(-day))})
	everyone := mk("全部", &memberv1.SegmentFilter{})
	smsOK := mk("短信可达", &memberv1.SegmentFilter{Consents: []string{"sms"}})
	inApp := mk("站内信可达", &memberv1.SegmentFilter{Consents: []string{"in_app", "sms"}})
	_, err = e.segments.CreateSegment(op, &memberv1.CreateSegmentRequest{Name: "x", Filter: &memberv1.SegmentFilter{Consents: []string{"carrier_pigeon"}}})
	wantStatus(t, "unknown consent", err, codes.InvalidArgument, "SEGMENT_INVALID")
	counts := map[string]int64{promoLovers: 1, stores: 2, recent: 1, everyone: 3, smsOK: 2, inApp: 1}
	for id, want := range counts {
		got, err := e.segments.CountSegmentMembers(op, &memberv1.CountSegmentMembersRequest{SegmentId: id})
		if err != nil || got.Count != want {
			t.Errorf("count %s: %v %v, want %d", id, got, err, want)
		}
	}
	page, err := e.segments.ListSegmentMembers(op, &memberv1.ListSegmentMembersRequest{SegmentId: everyone, PageSize: 2})
	if err != nil || len(page.Members) != 2 || page.NextPageToken == "" {
		t.Fatalf("page 1: %v %v", page, err)
	}
	rest, err := e.segments.ListSegmentMembers(op, &memberv1.ListSegmentMembersRequest{SegmentId: everyone, PageSize: 2, PageToken: page.NextPageToken})
	if err != nil || len(rest.Members) != 1 || rest.NextPageToken != "" || rest.Members[0].MemberId != "m-carol" {
		t.Fatalf("page 2: %v %v", rest, err)
	}
	_, err = e.segments.ListSegmentMembers(op, &memberv1.ListSegmentMembersRequest{SegmentId: stores, PageToken: page.NextPageToken})
	wantStatus(t, "another segment's token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	sms1, err := e.segments.ListSegmentMembers(op, &memberv1.ListSegmentMembersRequest{SegmentId: smsOK, PageSize: 1})
	if err != nil || len(sms1.Members) != 1 || sms1.Members[0].MemberId != "m-bob" || sms1.NextPageToken == "" {
		t.Fatalf("sms page 1: %v %v", sms1, err)
	}
	sms2, err := e.segments.ListSegmentMembers(op, &memberv1.ListSegmentMembersRequest{SegmentId: smsOK, PageSize: 1, PageToken: sms1.NextPageToken})
	if err != nil || len(sms2.Members) != 1 || sms2.Members[0].MemberId != "m-carol" || sms2.NextPageToken != "" {
		t.Fatalf("sms page 2: %v %v", sms2, err)
	}
	lovers, _ := e.segments.ListSegmentMembers(op, &memberv1.ListSegmentMembersRequest{SegmentId: promoLovers})
	if len(lovers.GetMembers()) != 1 || lovers.Members[0].MemberId != "m-alice" || lovers.Members[0].OrderCount != 3 || lovers.Members[0].SpendFen != 45000 {
		t.Errorf("promotion lovers %v", lovers)
	}

	stream, err := e.segments.StreamSegmentMembers(e.service(t), &memberv1.StreamSegmentMembersRequest{SegmentId: stores})
	if err != nil {
		t.Fatal(err)
	}
	var streamed []string
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		streamed = append(streamed, m.Member.MemberId)
	}
	if !slices.Equal(streamed, []string{"m-bob", "m-carol"}) {
		t.Errorf("streamed %v", streamed)
	}
	denied, err := e.segments.StreamSegmentMembers(e.member(t, "m-alice"), &memberv1.StreamSegmentMembersRequest{SegmentId: stores})
	if err == nil {
		_, err = denied.Recv()
	}
	wantStatus(t, "member streaming a segment", err, codes.PermissionDenied, "ROLE_REQUIRED")
	// Blocked and deleted members drop out of every segment.
	count := func(id string) int64 {
		got, err := e.segments.CountSegmentMembers(op, &memberv1.CountSegmentMembersRequest{SegmentId: id})
		if err != nil {
			t.Fatal(err)
		}
		return got.Count
	}
	at := e.clk.Now()
	publishOrder(t, e.js, "siyu.member.blocked", "blk-1", &memberv1.MemberBlocked{EventId: "blk-1", OccurredAt: timestamppb.New(at), MemberId: "m-bob", Blocked: true})
	waitFor(t, "bob blocked", func() bool { return count(stores) == 1 })
	publishOrder(t, e.js, "siyu.member.blocked", "blk-2", &memberv1.MemberBlocked{EventId: "blk-2", OccurredAt: timestamppb.New(at.Add(time.Minute)), MemberId: "m-bob", Blocked: false})
	waitFor(t, "bob unblocked", func() bool { return count(stores) == 2 })
	// A late redelivery of the older block changes nothing.
	publishOrder(t, e.js, "siyu.member.blocked", "blk-1-late", &memberv1.MemberBlocked{EventId: "blk-1-late", OccurredAt: timestamppb.New(at), MemberId: "m-bob", Blocked: true})
	publishOrder(t, e.js, "siyu.member.deleted", "del-1", &memberv1.MemberDeleted{EventId: "del-1", OccurredAt: timestamppb.New(at), MemberId: "m-carol"})
	waitFor(t, "carol deleted", func() bool { return count(everyone) == 2 })
	if n := count(stores); n != 1 {
		t.Errorf("store members after carol's deletion: %d, want 1 (bob)", n)
	}
	all, err := e.segments.ListSegments(op, &memberv1.ListSegmentsRequest{})
	if err != nil || len(all.Segments) != 6 {
		t.Errorf("segments %v %v", all, err)
	}
}

func TestSegmentUpdateAndDelete(t *testing.T) {
	e := setupLoyalty(t, time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC))
	op := e.operator(t)
	e.grant(t, "m-alice", 100)
	created, err := e.segments.CreateSegment(op, &memberv1.CreateSegmentRequest{Name: "积分达人", Filter: &memberv1.SegmentFilter{MinPoints: proto.Int64(50)}})
	if err != nil {
		t.Fatal(err)
	}
	seg := created.Segment
	if seg.Version != 1 {
		t.Fatalf("new segment version %d", seg.Version)
	}
	count := func() int64 {
		t.Helper()
		n, err := e.segments.CountSegmentMembers(op, &memberv1.CountSegmentMembersRequest{SegmentId: seg.Id})
		if err != nil {
			t.Fatal(err)
		}
		return n.Count
	}
	if count() != 1 {
		t.Fatal("alice not in the segment")
	}

	// Rename only: the filter stays.
	up, err := e.segments.UpdateSegment(op, &memberv1.UpdateSegmentRequest{SegmentId: seg.Id, Version: 1, Name: "高积分会员",
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	if err != nil || up.Segment.Name != "高积分会员" || up.Segment.Version != 2 || up.Segment.Filter.GetMinPoints() != 50 {
		t.Fatalf("rename: %v %v", up, err)
	}
	// Edit the filter: nobody has 500 points.
	up, err = e.segments.UpdateSegment(op, &memberv1.UpdateSegmentRequest{SegmentId: seg.Id, Version: 2, Name: "高积分会员", Filter: &memberv1.SegmentFilter{MinPoints: proto.Int64(500)}})
	if err != nil || up.Segment.Version != 3 {
		t.Fatalf("new filter: %v %v", up, err)
	}
	if count() != 0 {
		t.Error("count still uses the old filter")
	}
	list, _ := e.segments.ListSegments(op, &memberv1.ListSegmentsRequest{})
	if len(list.Segments) != 1 || list.Segments[0].Version != 3 || list.Segments[0].Name != "高积分会员" {
		t.Errorf("listed %v", list.Segments)
	}

	// Two operators read version 3; only the first save wins, concurrently too.
	var wg sync.WaitGroup
	var wins, stale atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			_, err := e.segments.UpdateSegment(op, &memberv1.UpdateSegmentRequest{SegmentId: seg.Id, Version: 3, Name: fmt.Sprintf("版本%d", i)})
			switch {
			case err == nil:
				wins.Add(1)
			case errs.Reason(err) == "SEGMENT_VERSION_MISMATCH":
				stale.Add(1)
			default:
				t.Errorf("concurrent update: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || stale.Load() != 7 {
		t.Errorf("concurrent updates of version 3: %d won, %d stale", wins.Load(), stale.Load())
	}

	for _, c := range []struct {
		what   string
		req    *memberv1.UpdateSegmentRequest
		code   codes.Code
		reason string
	}{
		{"stale version", &memberv1.UpdateSegmentRequest{SegmentId: seg.Id, Version: 3, Name: "x"}, codes.FailedPrecondition, "SEGMENT_VERSION_MISMATCH"},
		{"unknown segment", &memberv1.UpdateSegmentRequest{SegmentId: "seg_nope", Version: 1, Name: "x"}, codes.NotFound, "SEGMENT_NOT_FOUND"},
		{"empty name", &memberv1.UpdateSegmentRequest{SegmentId: seg.Id, Version: 4, Name: ""}, codes.InvalidArgument, "SEGMENT_INVALID"},
		{"inconsistent filter", &memberv1.UpdateSegmentRequest{SegmentId: seg.Id, Version: 4, Name: "x", Filter: &memberv1.SegmentFilter{MinPoints: proto.Int64(9), MaxPoints: proto.Int64(1)}}, codes.InvalidArgument, "SEGMENT_INVALID"},
		{"unknown mask path", &memberv1.UpdateSegmentRequest{SegmentId: seg.Id, Version: 4, Name: "x", UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"created_at"}}}, codes.InvalidArgument, "SEGMENT_INVALID"},
	} {
		_, err := e.segments.UpdateSegment(op, c.req)
		wantStatus(t, c.what, err, c.code, c.reason)
	}

	// A campaign still running blocks the delete; once it ends, it goes.
	e.usage[seg.Id] = []string{"campaign cp_spring (running)"}
	_, err = e.segments.DeleteSegment(op, &memberv1.DeleteSegmentRequest{SegmentId: seg.Id, Version: 4})
	wantStatus(t, "delete while used", err, codes.FailedPrecondition, "SEGMENT_IN_USE")
	delete(e.usage, seg.Id)
	_, err = e.segments.DeleteSegment(op, &memberv1.DeleteSegmentRequest{SegmentId: seg.Id, Version: 3})
	wantStatus(t, "delete at a stale version", err, codes.FailedPrecondition, "SEGMENT_VERSION_MISMATCH")
	if _, err := e.segments.DeleteSegment(op, &memberv1.DeleteSegmentRequest{SegmentId: seg.Id, Version: 4}); err != nil {
		t.Fatal(err)
	}
	_, err = e.segments.DeleteSegment(op, &memberv1.DeleteSegmentRequest{SegmentId: seg.Id, Version: 4})
	wantStatus(t, "delete twice", err, codes.NotFound, "SEGMENT_NOT_FOUND")
	_, err = e.segments.CountSegmentMembers(op, &memberv1.CountSegmentMembersRequest{SegmentId: seg.Id})
	wantStatus(t, "count a deleted segment", err, codes.NotFound, "SEGMENT_NOT_FOUND")

	// Members and customer-service operators cannot edit segments.
	cs := e.as(t, auth.Identity{Subject: "cs-1", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})
	for what, ctx := range map[string]context.Context{"member": e.member(t, "m-alice"), "customer service": cs} {
		_, err := e.segments.UpdateSegment(ctx, &memberv1.UpdateSegmentRequest{SegmentId: "seg_x", Version: 1, Name: "x"})
		wantStatus(t, what+" updating", err, codes.PermissionDenied, "ROLE_REQUIRED")
		_, err = e.segments.DeleteSegment(ctx, &memberv1.DeleteSegmentRequest{SegmentId: "seg_x", Version: 1})
		wantStatus(t, what+" deleting", err, codes.PermissionDenied, "ROLE_REQUIRED")
	}
}
