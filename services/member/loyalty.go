package member

import (
	"context"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/outbox"
	"siyu.dev/services/member/internal/app"
	"siyu.dev/services/member/internal/consumers"
	"siyu.dev/services/member/internal/grpcapi"
	"siyu.dev/services/member/internal/mongostore"
)

// loyalty is the points ledger, sign-in, levels, tags and segments: its own
// collections, use cases, gRPC services, event consumers and sweepers.
type loyalty struct {
	store *mongostore.Loyalty
	app   *app.Loyalty
}

// newLoyalty builds the loyalty use cases over the service's database;
// members is the identity half's store, which segments read consent from.
func newLoyalty(in *lifecycle.Infra, members *mongostore.Store) *loyalty {
	store := mongostore.NewLoyalty(in.DB)
	l := app.NewLoyalty(mongostore.LoyaltyAccounts{Loyalty: store}, mongostore.LoyaltySettings{Loyalty: store},
		mongostore.TagRules{Loyalty: store, Now: clock.System.Now}, mongostore.Segments{Loyalty: store}, app.NoSegmentUsers{}, mongostore.Members{Store: members}, clock.System)
	return &loyalty{store: store, app: l}
}

// How often expired points are written off, and time-based tags ("new",
// "dormant") re-evaluated.
const (
	expirySweepEvery = time.Minute
	tagSweepEvery    = time.Hour
)

// start wires the loyalty part of the service: its consumers and sweeps
// are stopped and joined by the process.
func (ly *loyalty) start(ctx context.Context, in *lifecycle.Infra, relay *outbox.Relay) error {
	if err := ly.store.EnsureIndexes(ctx); err != nil {
		return err
	}
	ly.store.Flush = relay.FlushAsync
	l := ly.app
	grpcapi.RegisterLoyalty(in.Server.GRPC(), l)
	stopOrders, err := consumers.StartOrders(ctx, in.JS, l, in.Logger)
	if err != nil {
		return err
	}
	in.OnStop(stopOrders)
	stopMembers, err := consumers.StartMembers(ctx, in.JS, l, in.Logger)
	if err != nil {
		return err
	}
	in.OnStop(stopMembers)
	in.Every("points expiry sweep", expirySweepEvery, func(ctx context.Context) error { _, err := l.SweepExpired(ctx); return err })
	in.Every("tag sweep", tagSweepEvery, func(ctx context.Context) error { _, err := l.SweepTags(ctx); return err })
	return nil
}
