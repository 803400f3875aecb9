package natsx

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"
)

// Header names on every event message.
const (
	HeaderEventType = "Siyu-Event-Type"
)

// Event is a serialised event ready to publish (or to park in an outbox).
type Event struct {
	ID      string
	Subject string
	Type    string
	Payload []byte
	// Trace holds the W3C trace context of the request that caused the event.
	Trace map[string]string
}

// NewEvent marshals msg and captures the trace context of ctx.
func NewEvent(ctx context.Context, subject, id string, msg proto.Message) (Event, error) {
	b, err := proto.Marshal(msg)
	if err != nil {
		return Event{}, fmt.Errorf("event %s: %w", subject, err)
	}
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	return Event{ID: id, Subject: subject, Type: string(msg.ProtoReflect().Descriptor().FullName()), Payload: b, Trace: carrier}, nil
}

// Publisher publishes events to JetStream.
type Publisher struct{ js jetstream.JetStream }

// NewPublisher wraps js.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// Publish sends e and waits for the stream's ack. Nats-Msg-Id = e.ID lets
// the server drop a repeat inside the duplicate window.
func (p *Publisher) Publish(ctx context.Context, e Event) (err error) {
	ctx, span, traceHdr := startPublish(ctx, e)
	defer func() { endSpan(span, err) }()
	m := nats.NewMsg(e.Subject)
	m.Data = e.Payload
	m.Header.Set(nats.MsgIdHdr, e.ID)
	m.Header.Set(HeaderEventType, e.Type)
	for k, v := range e.Trace {
		m.Header.Set(k, v)
	}
	// The producer span replaces the carried context as the consumers' parent.
	for k, v := range traceHdr {
		m.Header.Set(k, v)
	}
	if _, err := p.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("publish %s %s: %w", e.Subject, e.ID, err)
	}
	return nil
}
