package natsx

import (
	"context"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The hop through NATS shows in a trace as two spans (DESIGN.md §5): a
// producer span when an event is published, child of the request that
// caused it, and a consumer span around each handling, child of the
// producer span, so one trace runs from the request to every consumer.

const tracerName = "siyu.dev/pkg/natsx"

// The tracer is looked up on each use: tests and the all-in-one runner set
// the global provider after this package is loaded.
func tracer() trace.Tracer { return otel.Tracer(tracerName) }

func messageAttrs(subject, id string) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("messaging.system", "nats"),
		attribute.String("messaging.destination.name", subject),
		attribute.String("messaging.message.id", id),
	}
}

// startPublish starts the producer span of e. Its parent is the trace
// context the event carries (the request that caused it, even when the
// outbox relay publishes it later), or else ctx's; the returned headers
// carry the producer span on to consumers.
func startPublish(ctx context.Context, e Event) (context.Context, trace.Span, propagation.MapCarrier) {
	parent := ctx
	if carried := otel.GetTextMapPropagator().Extract(context.Background(), propagation.MapCarrier(e.Trace)); trace.SpanContextFromContext(carried).IsValid() {
		parent = trace.ContextWithRemoteSpanContext(ctx, trace.SpanContextFromContext(carried))
	}
	ctx, span := tracer().Start(parent, "publish "+e.Subject, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(messageAttrs(e.Subject, e.ID)...))
	out := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, out)
	return ctx, span, out
}

// startConsume starts the consumer span of one delivery, in ctx that
// already holds the extracted producer context.
func startConsume(ctx context.Context, durable string, m Message) (context.Context, trace.Span) {
	attrs := append(messageAttrs(m.Subject, m.ID), attribute.String("messaging.consumer.group.name", durable), attribute.Int64("messaging.nats.delivered", int64(m.NumDelivered)))
	return tracer().Start(ctx, "process "+m.Subject, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
}

// endSpan records err (if any) and ends span.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Traced runs fn for a message received outside Consume (an ordered
// consumer, a plain subscription) the way Consume runs a handler: in a
// consumer span under the producer's, so its trace continues.
func Traced(ctx context.Context, consumer string, msg jetstream.Msg, fn func(ctx context.Context) error) error {
	hdr := msg.Headers()
	ctx = otel.GetTextMapPropagator().Extract(ctx, traceCarrier(hdr))
	ctx, span := startConsume(ctx, consumer, Message{Subject: msg.Subject(), ID: hdr.Get(nats.MsgIdHdr)})
	err := fn(ctx)
	endSpan(span, err)
	return err
}
