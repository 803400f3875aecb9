package consumers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/events"
)

// DurableHotKeywords counts product.searched into hot keywords.
const DurableHotKeywords = "product-hot-keywords"

// StartHotKeywords consumes the service's own search events into the
// per-day keyword counts; every instance shares the one durable consumer,
// so each search is counted by one of them.
func StartHotKeywords(ctx context.Context, js jetstream.JetStream, keywords *app.Keywords, log *slog.Logger) (stop func(), err error) {
	return natsx.Consume(ctx, js, natsx.ConsumerConfig{Stream: events.Stream, Durable: DurableHotKeywords, Subjects: []string{events.SubjectSearched}, Logger: log},
		HotKeywordsHandler(keywords))
}

// HotKeywordsHandler counts one search; a keyword counts once per client and
// day, so a redelivery counts nothing.
func HotKeywordsHandler(keywords *app.Keywords) natsx.Handler {
	return func(ctx context.Context, m natsx.Message) error {
		var e productv1.ProductSearched
		if err := proto.Unmarshal(m.Data, &e); err != nil {
			return natsx.Permanent(fmt.Errorf("product searched: %w", err))
		}
		if e.GetEventId() == "" {
			return natsx.Permanent(errors.New("search event without an event id"))
		}
		return keywords.CountSearch(ctx, domain.Searched{EventID: e.GetEventId(), At: e.GetOccurredAt().AsTime(), Query: e.GetQuery(),
			MemberID: e.GetMemberId(), Client: e.GetClient(), Results: int(e.GetResultCount())})
	}
}
