package messaging_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/messaging"
)

// BenchmarkPaidEventToInbox publishes a burst of b.N order.paid events (one
// member each) to the running service on the embedded store and NATS, and
// reports how long each took from publication to its in-app message: p50,
// p99 and events per second. The order.paid rule is narrowed to the inbox
// (no member service runs here). Run it with -benchtime Nx for a burst of N.
func BenchmarkPaidEventToInbox(b *testing.B) {
	ns := testkit.NATS(b)
	priv, pub, _ := auth.GenerateKeyPEM()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg := messaging.Config{Common: lifecycle.Common{MongoURI: testkit.Store(b).URI(), JWTPublicKey: pub, Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Database: testkit.DBName(b), NATSURL: ns.URL(), JWTPrivateKey: priv, MemberAddr: "127.0.0.1:1", DevMode: true, DailyCap: 1, WeeklyCap: 3, SweepEvery: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- messaging.Run(ctx, cfg) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(20 * time.Second); healthcheck.GRPC(lis.Addr().String(), time.Second) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("never SERVING")
		}
	}
	privKey, _ := auth.ParsePrivateKeyPEM(priv)
	iss := auth.NewIssuer(privKey, "siyu", clock.System)
	as := func(id auth.Identity) context.Context {
		tok, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(ctx, tok)
	}
	conn, _ := grpcclient.Dial(lis.Addr().String())
	defer conn.Close()
	owner := as(auth.Identity{Subject: "owner", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	if _, err := messagingv1.NewNotificationRuleServiceClient(conn).SetNotificationRule(owner, &messagingv1.SetNotificationRuleRequest{Rule: &messagingv1.NotificationRule{
		EventType: "order.paid", Targets: []*messagingv1.RuleTarget{{TemplateId: "order_paid", Channels: []string{"in_app"}}}}}); err != nil {
		b.Fatal(err)
	}
	nc, _ := natsx.Connect(ns.URL(), "bench")
	defer nc.Close()
	js, _ := jetstream.New(nc)
	pubr := natsx.NewPublisher(js)
	inbox := messagingv1.NewInboxServiceClient(conn)

	b.ResetTimer()
	published := make([]time.Time, b.N)
	start := time.Now()
	for i := range b.N {
		id := fmt.Sprintf("bench-%d.paid", i)
		e, _ := natsx.NewEvent(ctx, orderv1.SubjectPaid, id, &orderv1.OrderPaid{EventId: id, OccurredAt: timestamppb.Now(), OrderId: fmt.Sprint("bench-", i), MemberId: fmt.Sprint("bm-", i), PaidFen: 100})
		published[i] = time.Now()
		if err := pubr.Publish(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var last time.Time
	for i := range b.N {
		mctx := as(auth.Identity{Subject: fmt.Sprint("bm-", i), Kind: auth.KindMember})
		for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
			r, err := inbox.ListMyMessages(mctx, &messagingv1.ListMyMessagesRequest{})
			if err != nil {
				b.Fatal(err)
			}
			if len(r.GetMessages()) == 1 {
				at := r.GetMessages()[0].GetCreateTime().AsTime()
				lat[i] = at.Sub(published[i])
				if at.After(last) {
					last = at
				}
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("event %d never reached the inbox", i)
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/last.Sub(start).Seconds(), "events/s")
}
