package grpcapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/outbox"
	"siyu.dev/pkg/testkit"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/consumers"
	"siyu.dev/services/member/internal/domain"
	"siyu.dev/services/member/internal/grpcapi"
	"siyu.dev/services/member/internal/mongostore"
)

// knownMembers stands in for the member repository: the members that
// exist, with their marketing consent and state.
type knownMembers map[string]domain.Member

func (k knownMembers) Get(_ context.Context, id string) (domain.Member, error) {
	if m, ok := k[id]; ok {
		m.ID = id
		return m, nil
	}
	return domain.Member{}, app.ErrNotFound
}

// segmentUsers stands in for marketing and messaging answering which
// unfinished campaigns use a segment.
type segmentUsers map[string][]string

func (u segmentUsers) Users(_ context.Context, id string) ([]string, error) { return u[id], nil }

type loyaltyEnv struct {
	points   memberv1.PointsServiceClient
	tags     memberv1.TagServiceClient
	segments memberv1.SegmentServiceClient
	signIn   memberv1.SignInServiceClient
	levels   memberv1.LevelServiceClient
	l        *app.Loyalty
	store    *mongostore.Loyalty
	clk      *clock.Fake
	issuer   *auth.Issuer
	js       jetstream.JetStream
	members  knownMembers
	usage    segmentUsers
	newApp   func() *app.Loyalty
}

func setupLoyalty(t *testing.T, start time.Time) *loyaltyEnv {
	t.Helper()
	ctx := context.Background()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	clk := clock.NewFake(start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	ns := testkit.NATS(t)
	nc, err := natsx.Connect(ns.URL(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	if err := natsx.EnsureStream(ctx, js, "MEMBER", []string{"siyu.member.>"}); err != nil {
		t.Fatal(err)
	}
	store := mongostore.NewLoyalty(testkit.DB(t))
	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	relay := outbox.NewRelay(natsx.NewPublisher(js), log, store.Accounts)
	store.Flush = relay.FlushAsync
	members := knownMembers{"m-alice": {}, "m-bob": {}}
	usage := segmentUsers{}
	newApp := func() *app.Loyalty {
		return app.NewLoyalty(mongostore.LoyaltyAccounts{Loyalty: store}, mongostore.LoyaltySettings{Loyalty: store},
			mongostore.TagRules{Loyalty: store, Now: clk.Now}, mongostore.Segments{Loyalty: store}, usage, members, clk)
	}
	l := newApp()
	srv := grpcserver.New(grpcserver.Options{Service: "member", Logger: log, Verifier: auth.NewVerifier(pub, "siyu", clk), Policy: grpcapi.Policy})
	grpcapi.RegisterLoyalty(srv.GRPC(), l)
	conn := testkit.BufconnServer(t, srv)
	return &loyaltyEnv{points: memberv1.NewPointsServiceClient(conn), tags: memberv1.NewTagServiceClient(conn), segments: memberv1.NewSegmentServiceClient(conn), signIn: memberv1.NewSignInServiceClient(conn), levels: memberv1.NewLevelServiceClient(conn),
		l: l, store: store, clk: clk, issuer: auth.NewIssuer(priv, "siyu", clk), js: js, members: members, usage: usage, newApp: newApp}
}

func (e *loyaltyEnv) as(t *testing.T, id auth.Identity) context.Context {
	t.Helper()
	tok, _, err := e.issuer.Issue(id, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return auth.OutgoingToken(context.Background(), tok)
}

func (e *loyaltyEnv) member(t *testing.T, id string) context.Context {
	return e.as(t, auth.Identity{Subject: id, Kind: auth.KindMember})
}

func (e *loyaltyEnv) operator(t *testing.T) context.Context {
	return e.as(t, auth.Identity{Subject: "ops-li", Kind: auth.KindAdmin, Roles: []string{auth.RoleOperator}})
}

func (e *loyaltyEnv) service(t *testing.T) context.Context {
	return e.as(t, auth.Identity{Subject: "order", Kind: auth.KindService})
}

func wantStatus(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if err == nil || status.Code(err) != code || errs.Reason(err) != reason {
		t.Errorf("%s: got %v (%q), want %v %q", what, status.Code(err), errs.Reason(err), code, reason)
	}
}

func (e *loyaltyEnv) grant(t *testing.T, member string, pts int64) {
	t.Helper()
	if _, err := e.points.AdjustPoints(e.operator(t), &memberv1.AdjustPointsRequest{MemberId: member, RequestId: fmt.Sprintf("g-%s-%d-%d", member, pts, time.Now().UnixNano()), Points: pts, Reason: "welcome gift"}); err != nil {
		t.Fatal(err)
	}
}

func (e *loyaltyEnv) balance(t *testing.T, member string) *memberv1.PointsAccount {
	t.Helper()
	got, err := e.points.GetMyPoints(e.member(t, member), &memberv1.GetMyPointsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return got.Account
}

// collect reads events of subject from the MEMBER stream until n arrived.
func (e *loyaltyEnv) collect(t *testing.T, subject string, n int) []*jetstream.RawStreamMsg {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := e.js.Stream(context.Background(), "MEMBER")
		if err != nil {
			t.Fatal(err)
		}
		var out []*jetstream.RawStreamMsg
		info, _ := st.Info(context.Background())
		for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
			m, err := st.GetMsg(context.Background(), seq)
			if err == nil && m.Subject == subject {
				out = append(out, m)
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) < n {
				t.Fatalf("%d %s events, want %d", len(out), subject, n)
			}
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPointsErrorsAndAccess(t *testing.T) {
	e := setupLoyalty(t, time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC))
	alice, op, svc := e.member(t, "m-alice"), e.operator(t), e.service(t)
	cs := e.as(t, auth.Identity{Subject: "cs-wang", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}})

	if acc := e.balance(t, "m-alice"); acc.AvailablePoints != 0 || acc.FrozenPoints != 0 {
		t.Errorf("new member has %v", acc)
	}
	_, err := e.points.GetMyPoints(context.Background(), &memberv1.GetMyPointsRequest{})
	wantStatus(t, "no token", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = e.points.FreezePoints(alice, &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o1", Points: 1})
	wantStatus(t, "member freezing", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.points.AdjustPoints(alice, &memberv1.AdjustPointsRequest{MemberId: "m-alice", RequestId: "x", Points: 100, Reason: "me"})
	wantStatus(t, "member granting herself", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.points.GetMemberPoints(alice, &memberv1.GetMemberPointsRequest{MemberId: "m-bob"})
	wantStatus(t, "member reading bob", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.points.AdjustPoints(cs, &memberv1.AdjustPointsRequest{MemberId: "m-alice", RequestId: "x", Points: 100, Reason: "r"})
	wantStatus(t, "customer service granting", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.points.AdjustPoints(svc, &memberv1.AdjustPointsRequest{MemberId: "m-alice", RequestId: "x", Points: 100, Reason: "r"})
	wantStatus(t, "service granting (no operator to audit)", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.points.AdjustPoints(op, &memberv1.AdjustPointsRequest{MemberId: "m-nobody", RequestId: "x", Points: 100, Reason: "r"})
	wantStatus(t, "unknown member", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.points.AdjustPoints(op, &memberv1.AdjustPointsRequest{MemberId: "m-alice", RequestId: "x", Points: 100})
	wantStatus(t, "no reason", err, codes.InvalidArgument, "REASON_REQUIRED")
	_, err = e.points.AdjustPoints(op, &memberv1.AdjustPointsRequest{MemberId: "m-alice", Points: 100, Reason: "r"})
	wantStatus(t, "no request id", err, codes.InvalidArgument, "REQUEST_ID_REQUIRED")
	_, err = e.points.AdjustPoints(op, &memberv1.AdjustPointsRequest{MemberId: "m-alice", RequestId: "x", Points: 0, Reason: "r"})
	wantStatus(t, "zero", err, codes.InvalidArgument, "POINTS_INVALID")
	_, err = e.points.AdjustPoints(op, &memberv1.AdjustPointsRequest{MemberId: "m-alice", RequestId: "x", Points: -5, Reason: "r"})
	wantStatus(t, "deduct below zero", err, codes.FailedPrecondition, "POINTS_INSUFFICIENT")

	for range 2 { // the repeat is idempotent by request id
		if _, err := e.points.AdjustPoints(op, &memberv1.AdjustPointsRequest{MemberId: "m-alice", RequestId: "grant-1", Points: 100, Reason: "compensation for late delivery"}); err != nil {
			t.Fatal(err)
		}
	}
	acc := e.balance(t, "m-alice")
	if acc.AvailablePoints != 100 || len(acc.Lots) != 1 || !acc.Lots[0].ExpireTime.AsTime().Equal(time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("after grant: %v (want 100 expiring at the end of 2027, Shanghai)", acc)
	}
	if bob := e.balance(t, "m-bob"); bob.AvailablePoints != 0 {
		t.Errorf("bob sees %d points", bob.AvailablePoints)
	}

	_, err = e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o1", Points: 101})
	wantStatus(t, "freeze too many", err, codes.FailedPrecondition, "POINTS_INSUFFICIENT")
	_, err = e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-alice", Points: 1})
	wantStatus(t, "freeze without order", err, codes.InvalidArgument, "ORDER_ID_REQUIRED")
	_, err = e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{OrderId: "o1", Points: 1})
	wantStatus(t, "freeze without member", err, codes.InvalidArgument, "MEMBER_ID_REQUIRED")
	_, err = e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o1", Points: -1})
	wantStatus(t, "freeze negative", err, codes.InvalidArgument, "POINTS_INVALID")
	f, err := e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o1", Points: 30})
	if err != nil || f.Hold.State != "frozen" || f.Account.AvailablePoints != 70 || f.Account.FrozenPoints != 30 {
		t.Fatalf("freeze: %v %v", f, err)
	}
	_, err = e.points.FreezePoints(op, &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o1", Points: 30})
	wantStatus(t, "operator freezing (the saga's call)", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.points.ReleasePoints(op, &memberv1.ReleasePointsRequest{MemberId: "m-alice", OrderId: "o1"})
	wantStatus(t, "operator releasing (the saga's call)", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o1", Points: 31})
	wantStatus(t, "freeze mismatch", err, codes.FailedPrecondition, "POINTS_HOLD_MISMATCH")
	_, err = e.points.ConfirmPoints(svc, &memberv1.ConfirmPointsRequest{MemberId: "m-alice", OrderId: "o-none"})
	wantStatus(t, "confirm unknown", err, codes.NotFound, "POINTS_HOLD_NOT_FOUND")
	for range 2 {
		c, err := e.points.ConfirmPoints(svc, &memberv1.ConfirmPointsRequest{MemberId: "m-alice", OrderId: "o1"})
		if err != nil || c.Hold.State != "confirmed" || c.Account.FrozenPoints != 0 || c.Account.AvailablePoints != 70 {
			t.Fatalf("confirm: %v %v", c, err)
		}
	}
	_, err = e.points.ReleasePoints(svc, &memberv1.ReleasePointsRequest{MemberId: "m-alice", OrderId: "o1"})
	wantStatus(t, "release confirmed", err, codes.FailedPrecondition, "POINTS_HOLD_CONFIRMED")
	if _, err := e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o2", Points: 20}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r, err := e.points.ReleasePoints(svc, &memberv1.ReleasePointsRequest{MemberId: "m-alice", OrderId: "o2"})
		if err != nil || r.Hold.State != "released" || r.Account.AvailablePoints != 70 {
			t.Fatalf("release: %v %v", r, err)
		}
	}
	_, err = e.points.ConfirmPoints(svc, &memberv1.ConfirmPointsRequest{MemberId: "m-alice", OrderId: "o2"})
	wantStatus(t, "confirm released", err, codes.FailedPrecondition, "POINTS_HOLD_RELEASED")

	// History: newest first, audited, paged.
	page, err := e.points.ListMyPointsEntries(alice, &memberv1.ListMyPointsEntriesRequest{PageSize: 3})
	if err != nil || len(page.Entries) != 3 || page.NextPageToken == "" || page.Entries[0].Kind != "release" {
		t.Fatalf("page 1: %v %v", page, err)
	}
	rest, err := e.points.ListMyPointsEntries(alice, &memberv1.ListMyPointsEntriesRequest{PageSize: 3, PageToken: page.NextPageToken})
	if err != nil || len(rest.Entries) != 2 || rest.NextPageToken != "" || rest.Entries[1].Kind != "adjust" || rest.Entries[1].OperatorId != "ops-li" || rest.Entries[1].Reason != "compensation for late delivery" {
		t.Fatalf("page 2: %v %v", rest, err)
	}
	_, err = e.points.ListMyPointsEntries(e.member(t, "m-bob"), &memberv1.ListMyPointsEntriesRequest{PageToken: page.NextPageToken})
	wantStatus(t, "alice's page token used by bob", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	_, err = e.points.ListMyPointsEntries(alice, &memberv1.ListMyPointsEntriesRequest{PageSize: -1})
	wantStatus(t, "negative page size", err, codes.InvalidArgument, "PAGE_SIZE_INVALID")
	bobs, _ := e.points.ListMyPointsEntries(e.member(t, "m-bob"), &memberv1.ListMyPointsEntriesRequest{})
	if len(bobs.GetEntries()) != 0 {
		t.Errorf("bob sees entries %v", bobs.Entries)
	}
	adm, err := e.points.ListMemberPointsEntries(cs, &memberv1.ListMemberPointsEntriesRequest{MemberId: "m-alice"})
	if err != nil || len(adm.Entries) != 5 {
		t.Errorf("customer service reads the ledger: %v %v", adm, err)
	}
	_, err = e.points.GetMemberPoints(op, &memberv1.GetMemberPointsRequest{MemberId: "m-nobody"})
	wantStatus(t, "admin reading unknown member", err, codes.NotFound, "MEMBER_NOT_FOUND")

	ov, err := e.l.MemberOverview(context.Background(), "m-alice")
	if err != nil || ov.Account.Available() != 70 || ov.Level.Tier.ID != "regular" || ov.Level.Next == nil {
		t.Errorf("overview %+v %v", ov.Level, err)
	}

	_, err = e.points.UpdateLoyaltySettings(op, &memberv1.UpdateLoyaltySettingsRequest{Settings: &memberv1.LoyaltySettings{ExpiryYears: 11}})
	wantStatus(t, "expiry out of range", err, codes.InvalidArgument, "LOYALTY_SETTINGS_INVALID")
	_, err = e.points.UpdateLoyaltySettings(cs, &memberv1.UpdateLoyaltySettingsRequest{Settings: &memberv1.LoyaltySettings{}})
	wantStatus(t, "customer service tuning", err, codes.PermissionDenied, "ROLE_REQUIRED")
	set, err := e.points.GetLoyaltySettings(op, &memberv1.GetLoyaltySettingsRequest{})
	if err != nil || set.Settings.EarnPointsPerYuanPermille != 1000 || set.Settings.ExpiryYears != 1 || set.Settings.SignInBonusEveryDays != 7 {
		t.Errorf("default settings: %v %v", set, err)
	}
}

// TestConcurrentSpends is the ledger's acceptance test: 100 concurrent
// spends of 1 point against a balance of 10 give exactly 10 successes.
func TestConcurrentSpends(t *testing.T) {
	e := setupLoyalty(t, time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC))
	e.grant(t, "m-alice", 10)
	svc := e.service(t)
	var ok, short atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i := range 100 {
		wg.Go(func() {
			_, err := e.points.SpendPoints(svc, &memberv1.SpendPointsRequest{MemberId: "m-alice", SourceId: fmt.Sprintf("redeem-%d", i), Points: 1})
			switch {
			case err == nil:
				ok.Add(1)
			case errs.Reason(err) == "POINTS_INSUFFICIENT":
				short.Add(1)
			default:
				t.Errorf("spend %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	t.Logf("100 concurrent spends: %v", time.Since(start))
	acc := e.balance(t, "m-alice")
	if ok.Load() != 10 || short.Load() != 90 || acc.AvailablePoints != 0 {
		t.Errorf("successes %d, insufficient %d, balance %d; want 10, 90, 0", ok.Load(), short.Load(), acc.AvailablePoints)
	}

	// Concurrent freezes of one order freeze it once.
	e.grant(t, "m-bob", 50)
	var fok atomic.Int64
	for range 20 {
		wg.Go(func() {
			if _, err := e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-bob", OrderId: "o-same", Points: 7}); err == nil {
				fok.Add(1)
			}
		})
	}
	wg.Wait()
	bob := e.balance(t, "m-bob")
	if fok.Load() != 20 || bob.AvailablePoints != 43 || bob.FrozenPoints != 7 {
		t.Errorf("20 identical freezes: %d answered, balance %d frozen %d; want 20, 43, 7", fok.Load(), bob.AvailablePoints, bob.FrozenPoints)
	}

	// Concurrent freezes by different orders never exceed the balance:
	// 43 points hold six orders of 7.
	var held, refused atomic.Int64
	for i := range 10 {
		wg.Go(func() {
			_, err := e.points.FreezePoints(svc, &memberv1.FreezePointsRequest{MemberId: "m-bob", OrderId: fmt.Sprintf("o-%d", i), Points: 7})
			switch {
			case err == nil:
				held.Add(1)
			case errs.Reason(err) == "POINTS_INSUFFICIENT":
				refused.Add(1)
			default:
				t.Errorf("freeze %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	bob = e.balance(t, "m-bob")
	if held.Load() != 6 || refused.Load() != 4 || bob.AvailablePoints != 1 || bob.FrozenPoints != 49 {
		t.Errorf("10 orders freezing 7 of 43: %d held, %d refused, balance %d frozen %d; want 6, 4, 1, 49", held.Load(), refused.Load(), bob.AvailablePoints, bob.FrozenPoints)
	}
}

// TestConcurrentSpendsAcrossInstances: two application instances (as two
// processes would) over one database still never oversell: the version
// check, not the in-process lock, is what decides.
func TestConcurrentSpendsAcrossInstances(t *testing.T) {
	e := setupLoyalty(t, time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC))
	e.grant(t, "m-alice", 10)
	apps := []*app.Loyalty{e.newApp(), e.newApp(), e.newApp()}
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Go(func() {
			_, err := apps[i%3].Spend(context.Background(), "m-alice", fmt.Sprintf("x-%d", i), 1, "")
			if err == nil {
				ok.Add(1)
			} else if err != domain.ErrPointsInsufficient {
				t.Errorf("spend: %v", err)
			}
		})
	}
	wg.Wait()
	a, _ := e.l.Account(context.Background(), "m-alice")
	if ok.Load() != 10 || a.Available() != 0 {
		t.Errorf("successes %d, balance %d; want 10, 0", ok.Load(), a.Available())
	}
}

func TestPointsEventsAndExpirySweep(t *testing.T) {
	e := setupLoyalty(t, time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC))
	e.grant(t, "m-alice", 40)
	if _, err := e.points.FreezePoints(e.service(t), &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o1", Points: 15}); err != nil {
		t.Fatal(err)
	}
	msgs := e.collect(t, "siyu.member.points_changed", 2)
	var ev memberv1.MemberPointsChanged
	if err := proto.Unmarshal(msgs[1].Data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.MemberId != "m-alice" || ev.Kind != "freeze" || ev.Delta != -15 || ev.FrozenDelta != 15 || ev.AvailablePoints != 25 || ev.SourceId != "o1" || ev.Seq != 2 {
		t.Errorf("freeze event %v", &ev)
	}

	// A month before the points expire (the end of 2027 in Shanghai), the
	// sweep tells the member once.
	e.clk.Set(time.Date(2027, 12, 10, 0, 0, 0, 0, time.UTC))
	if n, err := e.newApp().SweepExpired(context.Background()); err != nil || n != 1 {
		t.Fatalf("reminder sweep: %d %v", n, err)
	}
	if n, _ := e.newApp().SweepExpired(context.Background()); n != 0 {
		t.Errorf("a second reminder sweep changed %d accounts", n)
	}
	var expiring memberv1.MemberPointsExpiring
	if err := proto.Unmarshal(e.collect(t, "siyu.member.points_expiring", 1)[0].Data, &expiring); err != nil ||
		expiring.Points != 25 || !expiring.ExpiresAt.AsTime().Equal(time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("expiring event %v %v", &expiring, err)
	}

	// Past the expiry, a fresh instance (a restarted process) finds the
	// account by its stored next-expiry time and writes the expiry off.
	e.clk.Set(time.Date(2027, 12, 31, 16, 0, 0, 0, time.UTC))
	restarted := e.newApp()
	n, err := restarted.SweepExpired(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if n, _ := restarted.SweepExpired(context.Background()); n != 0 {
		t.Errorf("second sweep changed %d accounts", n)
	}
	acc := e.balance(t, "m-alice")
	if acc.AvailablePoints != 0 || acc.FrozenPoints != 15 {
		t.Errorf("after expiry: %v", acc)
	}
	msgs = e.collect(t, "siyu.member.points_changed", 3)
	if err := proto.Unmarshal(msgs[2].Data, &ev); err != nil || ev.Kind != "expire" || ev.Delta != -25 || ev.AvailablePoints != 0 {
		t.Errorf("expire event %v %v", &ev, err)
	}
	if string(msgs[2].Header.Get("Nats-Msg-Id")) != "m-alice:points:3" {
		t.Errorf("event id %q", msgs[2].Header.Get("Nats-Msg-Id"))
	}
}

func TestSignIn(t *testing.T) {
	// 2026-11-06 23:30 in Shanghai.
	e := setupLoyalty(t, time.Date(2026, 11, 6, 15, 30, 0, 0, time.UTC))
	alice := e.member(t, "m-alice")
	var first atomic.Int64
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			r, err := e.signIn.SignIn(alice, &memberv1.SignInRequest{})
			if err != nil {
				t.Error(err)
				return
			}
			if r.Day != "2026-11-06" || r.Streak != 1 || r.Points != 5 {
				t.Errorf("sign-in %v", r)
			}
			if !r.AlreadySignedIn {
				first.Add(1)
			}
		})
	}
	wg.Wait()
	if first.Load() != 1 || e.balance(t, "m-alice").AvailablePoints != 5 {
		t.Fatalf("10 concurrent sign-ins: %d first, balance %d; want 1, 5", first.Load(), e.balance(t, "m-alice").AvailablePoints)
	}
	// Just after midnight in Shanghai is the next day.
	e.clk.Advance(31 * time.Minute)
	r, err := e.signIn.SignIn(alice, &memberv1.SignInRequest{})
	if err != nil || r.Day != "2026-11-07" || r.Streak != 2 {
		t.Fatalf("next day: %v %v", r, err)
	}
	cal, err := e.signIn.GetSignInCalendar(alice, &memberv1.GetSignInCalendarRequest{})
	if err != nil || cal.Month != "2026-11" || len(cal.SignedDays) != 2 || cal.Streak != 2 || !cal.SignedToday {
		t.Errorf("calendar %v %v", cal, err)
	}
	if cal, _ := e.signIn.GetSignInCalendar(e.member(t, "m-bob"), &memberv1.GetSignInCalendarRequest{}); len(cal.GetSignedDays()) != 0 {
		t.Errorf("bob's calendar shows %v", cal.SignedDays)
	}
	_, err = e.signIn.SignIn(e.operator(t), &memberv1.SignInRequest{})
	wantStatus(t, "operator signing in", err, codes.PermissionDenied, "ROLE_REQUIRED")
	msgs := e.collect(t, "siyu.member.signed_in", 2)
	var ev memberv1.MemberSignedIn
	if err := proto.Unmarshal(msgs[1].Data, &ev); err != nil || ev.Day != "2026-11-07" || ev.Streak != 2 || ev.MemberId != "m-alice" {
		t.Errorf("signed_in event %v %v", &ev, err)
	}
}

func publishOrder(t *testing.T, js jetstream.JetStream, subject, id string, msg proto.Message) {
	t.Helper()
	ev, err := natsx.NewEvent(context.Background(), subject, id, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := natsx.NewPublisher(js).Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

func TestLevelsFromOrderEvents(t *testing.T) {
	e := setupLoyalty(t, time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC))
	op := e.operator(t)
	_, err := e.levels.SetLevelTiers(op, &memberv1.SetLevelTiersRequest{Tiers: []*memberv1.LevelTier{{Id: "a", Name: "A", GrowthThreshold: 10}}})
	wantStatus(t, "first tier above 0", err, codes.InvalidArgument, "LEVEL_TIERS_INVALID")
	_, err = e.levels.SetLevelTiers(e.member(t, "m-alice"), &memberv1.SetLevelTiersRequest{})
	wantStatus(t, "member setting tiers", err, codes.PermissionDenied, "ROLE_REQUIRED")
	if _, err := e.levels.SetLevelTiers(op, &memberv1.SetLevelTiersRequest{Tiers: []*memberv1.LevelTier{
		{Id: "v0", Name: "普通", GrowthThreshold: 0}, {Id: "v1", Name: "银卡", GrowthThreshold: 100, DiscountPermille: 20}, {Id: "v2", Name: "金卡", GrowthThreshold: 500, DiscountPermille: 50},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.points.UpdateLoyaltySettings(op, &memberv1.UpdateLoyaltySettingsRequest{Settings: &memberv1.LoyaltySettings{
		EarnPointsPerYuanPermille: 2000, GrowthPerYuanPermille: 1000, ExpiryYears: 1, SignInDailyPoints: 5, SignInBonusEveryDays: 7, SignInBonusPoints: 20}}); err != nil {
		t.Fatal(err)
	}
	tiers, err := e.levels.ListLevelTiers(context.Background(), &memberv1.ListLevelTiersRequest{})
	if err != nil || len(tiers.Tiers) != 3 {
		t.Fatalf("public tiers %v %v", tiers, err)
	}

	if err := natsx.EnsureStream(context.Background(), e.js, orderv1.Stream, []string{orderv1.StreamSubjects}); err != nil {
		t.Fatal(err)
	}
	// Alice freezes 20 points at checkout, then pays 150 yuan.
	e.grant(t, "m-alice", 20)
	if _, err := e.points.FreezePoints(e.service(t), &memberv1.FreezePointsRequest{MemberId: "m-alice", OrderId: "o-1", Points: 20}); err != nil {
		t.Fatal(err)
	}
	paid := &orderv1.OrderPaid{EventId: "ev-paid-1", OccurredAt: timestamppb.Now(), OrderId: "o-1", MemberId: "m-alice", PaidFen: 15000, PointsUsed: 20}
	publishOrder(t, e.js, orderv1.SubjectPaid, "ev-paid-1", paid)
	publishOrder(t, e.js, orderv1.SubjectPaid, "ev-paid-1-redelivered-with-new-id", paid)
	stop, err := consumers.StartOrders(context.Background(), e.js, e.l, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	alice := e.member(t, "m-alice")
	waitFor(t, "growth 150", func() bool {
		l, err := e.levels.GetMyLevel(alice, &memberv1.GetMyLevelRequest{})
		return err == nil && l.Level.Growth == 150
	})
	l, _ := e.levels.GetMyLevel(alice, &memberv1.GetMyLevelRequest{})
	if l.Level.Tier.Id != "v1" || l.Level.NextTier.GetId() != "v2" || l.Level.GrowthToNext != 350 {
		t.Errorf("level %v", l.Level)
	}
	if acc := e.balance(t, "m-alice"); acc.AvailablePoints != 300 || acc.FrozenPoints != 0 {
		t.Errorf("after paying 150 yuan at 2 points per yuan: %v", acc)
	}
	// A refund of 100 of the 150 yuan takes back 2/3 of the growth and
	// earned points and returns 2/3 of the points used; delivered twice.
	refund := &orderv1.OrderRefunded{EventId: "ev-ref-1", OccurredAt: timestamppb.Now(), OrderId: "o-1", MemberId: "m-alice", RefundId: "rf-1", RefundFen: 10000, PaidFen: 15000}
	publishOrder(t, e.js, orderv1.SubjectRefunded, "ev-ref-1", refund)
	publishOrder(t, e.js, orderv1.SubjectRefunded, "ev-ref-1-again", refund)
	waitFor(t, "growth 50", func() bool {
		l, err := e.levels.GetMyLevel(alice, &memberv1.GetMyLevelRequest{})
		return err == nil && l.Level.Growth == 50
	})
	time.Sleep(200 * time.Millisecond) // let the repeat land too
	if acc := e.balance(t, "m-alice"); acc.AvailablePoints != 300-200+13 {
		t.Errorf("after refund: %d points, want %d", acc.AvailablePoints, 300-200+13)
	}
	changes := e.collect(t, "siyu.member.level_changed", 2)
	var up, down memberv1.MemberLevelChanged
	_ = proto.Unmarshal(changes[0].Data, &up)
	_ = proto.Unmarshal(changes[1].Data, &down)
	if up.TierId != "v1" || up.PreviousTierId != "v0" || down.TierId != "v0" || down.PreviousTierId != "v1" || down.Growth != 50 {
		t.Errorf("level events %v / %v", &up, &down)
	}
	adm, err := e.levels.GetMemberLevel(op, &memberv1.GetMemberLevelRequest{MemberId: "m-alice"})
	if err != nil || adm.Level.Growth != 50 {
		t.Errorf("admin level %v %v", adm, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Checkout reads a member's standing in one service-only call: the level
// discount comes from the tiers, so order pricing never re-implements them.
func TestGetMemberStanding(t *testing.T) {
	e := setupLoyalty(t, time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC))
	op := e.operator(t)
	if _, err := e.levels.SetLevelTiers(op, &memberv1.SetLevelTiersRequest{Tiers: []*memberv1.LevelTier{
		{Id: "v0", Name: "普通", GrowthThreshold: 0}, {Id: "v1", Name: "银卡", GrowthThreshold: 100, DiscountPermille: 20},
	}}); err != nil {
		t.Fatal(err)
	}
	e.members["m-blocked"] = domain.Member{Blocked: true}
	e.grant(t, "m-alice", 40)
	svc := e.service(t)

	got, err := e.levels.GetMemberStanding(svc, &memberv1.GetMemberStandingRequest{MemberId: "m-alice"})
	if err != nil {
		t.Fatal(err)
	}
	if got.MemberId != "m-alice" || got.Blocked || got.Deleted || got.AvailablePoints != 40 || got.Level.GetTier().GetId() != "v0" || got.Level.GetTier().GetDiscountPermille() != 0 {
		t.Errorf("alice standing %v", got)
	}
	// Growth past 100 puts Alice in v1 with 2% off.
	if err := e.l.OrderPaid(context.Background(), "m-alice", "o-1", 12000, e.clk.Now(), nil); err != nil {
		t.Fatal(err)
	}
	got, err = e.levels.GetMemberStanding(svc, &memberv1.GetMemberStandingRequest{MemberId: "m-alice"})
	if err != nil || got.Level.GetTier().GetId() != "v1" || got.Level.GetTier().GetDiscountPermille() != 20 || got.Level.GetGrowth() != 120 {
		t.Errorf("after paying 120 yuan: %v %v", got, err)
	}
	got, err = e.levels.GetMemberStanding(svc, &memberv1.GetMemberStandingRequest{MemberId: "m-blocked"})
	if err != nil || !got.Blocked {
		t.Errorf("blocked member: %v %v", got, err)
	}

	for _, c := range []struct {
		what   string
		ctx    context.Context
		id     string
		code   codes.Code
		reason string
	}{
		{"unknown member", svc, "m-nobody", codes.NotFound, "MEMBER_NOT_FOUND"},
		{"no member id", svc, "", codes.NotFound, "MEMBER_NOT_FOUND"},
		{"an operator", op, "m-alice", codes.PermissionDenied, "ROLE_REQUIRED"},
		{"the member herself", e.member(t, "m-alice"), "m-alice", codes.PermissionDenied, "ROLE_REQUIRED"},
		{"no token", context.Background(), "m-alice", codes.Unauthenticated, "TOKEN_MISSING"},
	} {
		_, err := e.levels.GetMemberStanding(c.ctx, &memberv1.GetMemberStandingRequest{MemberId: c.id})
		wantStatus(t, c.what, err, c.code, c.reason)
	}
}
