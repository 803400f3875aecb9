package consumers

import (
	"context"
	"log/slog"
	"siyu.dev/pkg/natsx"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/events"
)

// StartCatalogSync keeps this instance's read model in step with the
// others: an ordered, per-instance (ephemeral) consumer of the service's
// own product events, from `since` on. Every event carries the whole product
// and its version, and the read model keeps only newer versions, so the
// instance's own events, replays from before since and any order of
// arrival leave it at the newest product. A durable consumer would not do:
// it hands each event to one instance only.
func StartCatalogSync(ctx context.Context, js jetstream.JetStream, catalogSync *app.CatalogSync, since time.Time, log *slog.Logger) (stop func(), err error) {
	cons, err := js.OrderedConsumer(ctx, events.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.SubjectCreated, events.SubjectUpdated, events.SubjectPublished},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy, OptStartTime: &since,
	})
	if err != nil {
		return nil, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		err := natsx.Traced(ctx, "product-catalog-sync", m, func(ctx context.Context) error {
			return applyCatalogEvent(ctx, catalogSync, m.Subject(), m.Data())
		})
		if err != nil {
			// Nothing to retry with an ordered consumer; the next change of
			// the product or the next start brings it up to date.
			log.WarnContext(ctx, "product event not applied to the read model", "subject", m.Subject(), "err", err)
		}
	})
	if err != nil {
		return nil, err
	}
	return cc.Stop, nil
}

func applyCatalogEvent(ctx context.Context, catalogSync *app.CatalogSync, subject string, data []byte) error {
	var p *productv1.Product
	switch subject {
	case events.SubjectCreated:
		var e productv1.ProductCreated
		if err := proto.Unmarshal(data, &e); err != nil {
			return err
		}
		p = e.GetProduct()
	case events.SubjectUpdated:
		var e productv1.ProductUpdated
		if err := proto.Unmarshal(data, &e); err != nil {
			return err
		}
		p = e.GetProduct()
	case events.SubjectPublished:
		var e productv1.ProductPublished
		if err := proto.Unmarshal(data, &e); err != nil {
			return err
		}
		p = e.GetProduct()
	}
	if p.GetId() == "" || p.GetVersion() == 0 {
		return nil // events from before they carried the product
	}
	return catalogSync.ApplyProduct(ctx, events.ProductFromProto(p))
}
