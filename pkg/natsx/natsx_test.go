package natsx

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"siyu.dev/pkg/fault"
)

func setup(t *testing.T) jetstream.JetStream {
	t.Helper()
	ns, err := StartEmbedded(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Close)
	nc, err := Connect(ns.URL(), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureStream(context.Background(), js, "TEST", []string{"siyu.test.>"}); err != nil {
		t.Fatal(err)
	}
	return js
}

func TestPublishDedupAndTrace(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	js := setup(t)
	ctx := context.Background()
	tid, _ := trace.TraceIDFromHex("0102030405060708090a0b0c0d0e0f10")
	sid, _ := trace.SpanIDFromHex("0102030405060708")
	tctx := trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	e, err := NewEvent(tctx, "siyu.test.happened", "evt-1", wrapperspb.String("hi"))
	if err != nil {
		t.Fatal(err)
	}
	pub := NewPublisher(js)
	for i := 0; i < 3; i++ {
		if err := pub.Publish(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := js.Stream(ctx, "TEST")
	info, _ := st.Info(ctx)
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1 (dedup by Nats-Msg-Id)", info.State.Msgs)
	}
	got := make(chan trace.SpanContext, 1)
	stop, err := Consume(ctx, js, ConsumerConfig{Stream: "TEST", Durable: "test-trace", Subjects: []string{"siyu.test.>"}}, func(ctx context.Context, m Message) error {
		if m.ID != "evt-1" || m.Type != "google.protobuf.StringValue" {
			t.Errorf("message = %+v", m)
		}
		got <- trace.SpanContextFromContext(ctx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	select {
	case sc := <-got:
		if sc.TraceID() != tid {
			t.Errorf("trace id %s, want %s", sc.TraceID(), tid)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
}

func TestRedeliveryAndPoison(t *testing.T) {
	js := setup(t)
	ctx := context.Background()
	pub := NewPublisher(js)
	flaky, _ := NewEvent(ctx, "siyu.test.flaky", "flaky-1", wrapperspb.String("x"))
	poison, _ := NewEvent(ctx, "siyu.test.poison", "poison-1", wrapperspb.String("y"))
	var flakyCalls, poisonCalls atomic.Int32
	done := make(chan struct{}, 1)
	stop, err := Consume(ctx, js, ConsumerConfig{Stream: "TEST", Durable: "test-retry", Subjects: []string{"siyu.test.>"},
		MaxDeliver: 3, Backoff: []time.Duration{10 * time.Millisecond}},
		func(ctx context.Context, m Message) error {
			switch m.ID {
			case "flaky-1":
				if flakyCalls.Add(1) < 2 {
					return errors.New("temporary")
				}
				done <- struct{}{}
				return nil
			default:
				poisonCalls.Add(1)
				return errors.New("always fails")
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	_ = pub.Publish(ctx, flaky)
	_ = pub.Publish(ctx, poison)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("flaky message never succeeded")
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st, err := js.Stream(ctx, DLQStream)
		if err == nil {
			if info, _ := st.Info(ctx); info != nil && info.State.Msgs == 1 {
				if n := poisonCalls.Load(); n != 3 {
					t.Errorf("poison handled %d times, want MaxDeliver=3", n)
				}
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("poison message not parked on the DLQ stream")
}

// Declaring a stream again with the same settings (every service start, and
// every consumer of another service's stream) leaves it alone; new subjects
// update it.
func TestEnsureStreamUpdatesOnlyChanges(t *testing.T) {
	js := setup(t) // declares TEST
	ctx := context.Background()
	updates, err := js.Conn().SubscribeSync("$JS.EVENT.ADVISORY.STREAM.UPDATED.TEST")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := EnsureStream(ctx, js, "TEST", []string{"siyu.test.>"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := updates.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatal("an unchanged declaration updated the stream")
	}
	if err := EnsureStream(ctx, js, "TEST", []string{"siyu.test.>", "siyu.more.>"}); err != nil {
		t.Fatal(err)
	}
	if _, err := updates.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("a new subject did not update the stream: %v", err)
	}
	s, err := js.Stream(ctx, "TEST")
	if err != nil || len(s.CachedInfo().Config.Subjects) != 2 {
		t.Fatalf("subjects after the update: %v %v", s, err)
	}
}

func TestByRule(t *testing.T) {
	rule := fault.New(fault.Precondition, "RESERVATION_RELEASED", "released")
	busy := fault.New(fault.Exhausted, "ACCOUNT_BUSY", "busy")
	plain := errors.New("connection refused")
	var p permanent
	if err := ByRule(fmt.Errorf("paid: %w", rule)); !errors.As(err, &p) || !errors.Is(err, rule) {
		t.Errorf("a rule fault is not parked: %v", err)
	}
	for _, err := range []error{busy, plain} {
		if got := ByRule(err); errors.As(got, &p) || got != err {
			t.Errorf("%v is parked or changed: %v", err, got)
		}
	}
	if ByRule(nil) != nil {
		t.Error("nil became an error")
	}
}

// TestPublishAndConsumeSpans: publishing records a producer span under the
// request that caused the event, handling records a consumer span under
// the producer span, and the handler runs inside the consumer span.
func TestPublishAndConsumeSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(prevTP); otel.SetTextMapPropagator(prevProp) })

	js := setup(t)
	ctx := context.Background()
	reqCtx, req := tp.Tracer("test").Start(ctx, "POST /v1/orders")
	e, err := NewEvent(reqCtx, "siyu.test.paid", "evt-span", wrapperspb.String("hi"))
	if err != nil {
		t.Fatal(err)
	}
	req.End()
	// Published later and elsewhere, as the outbox relay does: the parent
	// comes from the event, not from this context.
	if err := NewPublisher(js).Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	inHandler := make(chan trace.SpanContext, 1)
	stop, err := Consume(ctx, js, ConsumerConfig{Stream: "TEST", Durable: "test-spans", Subjects: []string{"siyu.test.paid"}}, func(ctx context.Context, m Message) error {
		inHandler <- trace.SpanContextFromContext(ctx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	var handlerSC trace.SpanContext
	select {
	case handlerSC = <-inHandler:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
	}
	var producer, consumer tracetest.SpanStub
	deadline := time.Now().Add(5 * time.Second)
	for consumer.Name == "" && time.Now().Before(deadline) {
		for _, s := range exp.GetSpans() {
			switch s.SpanKind {
			case trace.SpanKindProducer:
				producer = s
			case trace.SpanKindConsumer:
				consumer = s
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	reqSC := req.SpanContext()
	if producer.Name != "publish siyu.test.paid" || producer.Parent.SpanID() != reqSC.SpanID() || producer.SpanContext.TraceID() != reqSC.TraceID() {
		t.Errorf("producer span %q parent %s trace %s, want under the request %s", producer.Name, producer.Parent.SpanID(), producer.SpanContext.TraceID(), reqSC.SpanID())
	}
	if consumer.Name != "process siyu.test.paid" || consumer.Parent.SpanID() != producer.SpanContext.SpanID() || consumer.SpanContext.TraceID() != reqSC.TraceID() {
		t.Errorf("consumer span %q parent %s, want under the producer %s", consumer.Name, consumer.Parent.SpanID(), producer.SpanContext.SpanID())
	}
	if handlerSC.SpanID() != consumer.SpanContext.SpanID() {
		t.Errorf("the handler ran in span %s, not the consumer span %s", handlerSC.SpanID(), consumer.SpanContext.SpanID())
	}
}
