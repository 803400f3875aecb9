package events

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
)

// SubjectSearched carries product.searched.
const SubjectSearched = productv1.SubjectSearched

// Searched builds siyu.product.searched.
func Searched(ctx context.Context, e domain.Searched) (natsx.Event, error) {
	return natsx.NewEvent(ctx, SubjectSearched, e.EventID, &productv1.ProductSearched{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), Query: e.Query, MemberId: e.MemberID, Client: e.Client, ResultCount: int32(e.Results),
	})
}

// SearchPublisher publishes product.searched in the background.
//
// A search is a read: it must never fail or slow down because the broker is
// slow or away. So Searched only puts the event in a bounded buffer and
// returns; a worker publishes from it. When the buffer is full the event is
// dropped, counted (Dropped, and the product.search_events.dropped metric)
// and logged now and then. There is no outbox: losing a few searches only
// makes hot keywords a little less exact, which is not worth a database
// write on every search.
type SearchPublisher struct {
	queue   chan queued
	publish func(context.Context, natsx.Event) error
	log     *slog.Logger
	dropped atomic.Int64
	failed  atomic.Int64
	counter metric.Int64Counter
}

type queued struct {
	span trace.SpanContext
	e    domain.Searched
}

// NewSearchPublisher buffers up to size events for publish (usually a
// natsx.Publisher's Publish); call Run to start publishing.
func NewSearchPublisher(publish func(context.Context, natsx.Event) error, size int, log *slog.Logger) *SearchPublisher {
	c, _ := otel.Meter("siyu.dev/services/product").Int64Counter("product.search_events.dropped",
		metric.WithDescription("product.searched events dropped because the publish buffer was full"))
	return &SearchPublisher{queue: make(chan queued, size), publish: publish, log: log, counter: c}
}

// Searched queues e without ever blocking. Only the trace's span context is
// kept from ctx: the request is over by the time the event is published.
func (p *SearchPublisher) Searched(ctx context.Context, e domain.Searched) {
	select {
	case p.queue <- queued{span: trace.SpanContextFromContext(ctx), e: e}:
	default:
		n := p.dropped.Add(1)
		if p.counter != nil {
			p.counter.Add(context.Background(), 1)
		}
		if n == 1 || n%1000 == 0 {
			p.log.Warn("search event buffer full; dropping search events", "dropped_total", n)
		}
	}
}

// Dropped is how many events were dropped since the start.
func (p *SearchPublisher) Dropped() int64 { return p.dropped.Load() }

// Run publishes queued events until ctx is done; what is still queued then
// is dropped with the process.
func (p *SearchPublisher) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case q := <-p.queue:
			p.send(ctx, q)
		}
	}
}

func (p *SearchPublisher) send(ctx context.Context, q queued) {
	ectx := trace.ContextWithRemoteSpanContext(ctx, q.span)
	ev, err := Searched(ectx, q.e)
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = p.publish(pctx, ev)
		cancel()
	}
	if err != nil && ctx.Err() == nil {
		// Logged now and then: with the broker away every search fails.
		if n := p.failed.Add(1); n == 1 || n%1000 == 0 {
			p.log.Warn("search event not published", "event_id", q.e.EventID, "failed_total", n, "err", err)
		}
	}
}
