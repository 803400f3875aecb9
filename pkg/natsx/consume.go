package natsx

import (
	"context"
	"errors"
	"log/slog"
	"siyu.dev/pkg/fault"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Message is one delivered event.
type Message struct {
	Subject, ID, Type string
	Data              []byte
	NumDelivered      uint64
	// Seq is the message's sequence in its stream.
	Seq uint64
}

// Handler processes one message. nil acks it; an error asks for redelivery
// after a backoff; Permanent(err) gives up on it at once.
type Handler func(ctx context.Context, m Message) error

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks an error that retrying cannot fix (a malformed payload).
func Permanent(err error) error { return permanent{err} }

// ByRule is the one consumer rule of the shop: a fault the rules raised
// (fault.Permanent: invalid, not found, conflict, precondition, ...) parks
// the message, since redelivering cannot change the answer; anything else
// (the database unreachable, an account busy) is retried.
func ByRule(err error) error {
	if fault.Permanent(err) {
		return Permanent(err)
	}
	return err
}

// ConsumerConfig names a durable pull consumer.
type ConsumerConfig struct {
	Stream, Durable string
	Subjects        []string
	// MaxDeliver bounds redelivery (default 5); after the last attempt the
	// message is terminated and parked on the dead-letter stream.
	MaxDeliver int
	Backoff    []time.Duration
	Logger     *slog.Logger
}

// DLQStream keeps poison messages for inspection, on subjects siyu.dlq.<durable>.
const DLQStream = "DLQ"

// Consume runs h for each message until stop is called or ctx ends.
func Consume(ctx context.Context, js jetstream.JetStream, cfg ConsumerConfig, h Handler) (stop func(), err error) {
	if cfg.MaxDeliver == 0 {
		cfg.MaxDeliver = 5
	}
	if len(cfg.Backoff) == 0 {
		cfg.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := EnsureStream(ctx, js, DLQStream, []string{"siyu.dlq.>"}); err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, cfg.Stream, jetstream.ConsumerConfig{
		Durable: cfg.Durable, FilterSubjects: cfg.Subjects, AckPolicy: jetstream.AckExplicitPolicy,
		MaxDeliver: cfg.MaxDeliver, AckWait: 30 * time.Second, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, err
	}
	pub := NewPublisher(js)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		handle(ctx, pub, cfg, h, msg)
	})
	if err != nil {
		return nil, err
	}
	return cc.Stop, nil
}

func handle(ctx context.Context, pub *Publisher, cfg ConsumerConfig, h Handler, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	delivered, seq := uint64(1), uint64(0)
	if err == nil {
		delivered, seq = meta.NumDelivered, meta.Sequence.Stream
	}
	hdr := msg.Headers()
	ctx = otel.GetTextMapPropagator().Extract(ctx, traceCarrier(hdr))
	m := Message{Subject: msg.Subject(), ID: hdr.Get(nats.MsgIdHdr), Type: hdr.Get(HeaderEventType), Data: msg.Data(), NumDelivered: delivered, Seq: seq}
	ctx, span := startConsume(ctx, cfg.Durable, m)
	herr := h(ctx, m)
	defer func() { endSpan(span, herr) }()
	if herr == nil {
		_ = msg.Ack()
		return
	}
	var perm permanent
	if errors.As(herr, &perm) || delivered >= uint64(cfg.MaxDeliver) {
		cfg.Logger.ErrorContext(ctx, "poison message parked", "durable", cfg.Durable, "subject", m.Subject, "event_id", m.ID, "deliveries", delivered, "err", herr)
		dead := Event{ID: cfg.Durable + ":" + m.ID, Subject: "siyu.dlq." + cfg.Durable, Type: m.Type, Payload: m.Data,
			Trace: map[string]string{"Siyu-Original-Subject": m.Subject, "Siyu-Error": herr.Error()}}
		if err := pub.Publish(ctx, dead); err != nil {
			// Not parked: leave it to redelivery rather than lose it.
			_ = msg.NakWithDelay(backoff(cfg.Backoff, delivered))
			return
		}
		_ = msg.Term()
		return
	}
	cfg.Logger.WarnContext(ctx, "event handler failed; will retry", "durable", cfg.Durable, "event_id", m.ID, "deliveries", delivered, "err", herr)
	_ = msg.NakWithDelay(backoff(cfg.Backoff, delivered))
}

func backoff(steps []time.Duration, delivered uint64) time.Duration {
	i := int(delivered) - 1
	if i >= len(steps) {
		i = len(steps) - 1
	}
	if i < 0 {
		i = 0
	}
	return steps[i]
}

// traceCarrier reads trace headers whatever their case: NATS keeps header
// names as published, unlike HTTP's canonical form.
func traceCarrier(h nats.Header) propagation.MapCarrier {
	c := propagation.MapCarrier{}
	for k, v := range h {
		if len(v) > 0 {
			c[strings.ToLower(k)] = v[0]
		}
	}
	return c
}
