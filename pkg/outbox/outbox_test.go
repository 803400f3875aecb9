package outbox

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
)

func TestStateAndEventsTravelTogether(t *testing.T) {
	ctx := context.Background()
	coll := testkit.DB(t).Collection("orders")
	ns := testkit.NATS(t)
	nc, err := natsx.Connect(ns.URL(), "t")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := natsx.EnsureStream(ctx, js, "ORDER", []string{"siyu.order.>"}); err != nil {
		t.Fatal(err)
	}
	e1, _ := natsx.NewEvent(ctx, "siyu.order.created", "e1", wrapperspb.String("1"))
	e2, _ := natsx.NewEvent(ctx, "siyu.order.paid", "e2", wrapperspb.String("2"))
	// One single-document write: the state and both events.
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "o1", "status": "paid", Field: bson.A{Entry(e1, time.Now()), Entry(e2, time.Now())}}); err != nil {
		t.Fatal(err)
	}
	pub := natsx.NewPublisher(js)
	// A crash after publishing e1 but before clearing it: publish by hand, then recover.
	if err := pub.Publish(ctx, e1); err != nil {
		t.Fatal(err)
	}
	relay := NewRelay(pub, nil, coll)
	if err := relay.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := js.Stream(ctx, "ORDER")
	info, _ := st.Info(ctx)
	if info.State.Msgs != 2 {
		t.Fatalf("stream holds %d events, want 2 (e1 once despite the repeat)", info.State.Msgs)
	}
	var doc bson.M
	_ = coll.FindOne(ctx, bson.M{"_id": "o1"}).Decode(&doc)
	if ob, _ := doc[Field].(bson.A); len(ob) != 0 {
		t.Fatalf("outbox not cleared: %v", doc[Field])
	}
	if n, _ := coll.CountDocuments(ctx, bson.M{Field + ".0": bson.M{"$exists": true}}); n != 0 {
		t.Fatalf("%d documents still pending", n)
	}
}

func TestRelayRetriesUntilBrokerReturns(t *testing.T) {
	ctx := context.Background()
	coll := testkit.DB(t).Collection("members")
	dir := t.TempDir()
	ns, err := natsx.StartEmbedded(dir)
	if err != nil {
		t.Fatal(err)
	}
	url := ns.URL()
	nc, err := natsx.Connect(url, "t")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	_ = natsx.EnsureStream(ctx, js, "MEMBER", []string{"siyu.member.>"})
	e, _ := natsx.NewEvent(ctx, "siyu.member.registered", "m1-reg", wrapperspb.String("m1"))
	_, _ = coll.InsertOne(ctx, bson.M{"_id": "m1", Field: bson.A{Entry(e, time.Now())}})
	ns.Close() // the broker is down

	relay := NewRelay(natsx.NewPublisher(js), nil, coll)
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	if err := relay.Sweep(short); err == nil {
		t.Fatal("sweep succeeded with the broker down")
	}
	cancel()
	var doc bson.M
	_ = coll.FindOne(ctx, bson.M{"_id": "m1"}).Decode(&doc)
	if ob, _ := doc[Field].(bson.A); len(ob) != 1 {
		t.Fatalf("event dropped while the broker was down: %v", doc)
	}
	t.Logf("restarting broker at %s", url)
}
