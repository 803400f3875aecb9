// Package product is the product service: the category tree, products and
// their SKUs, served to shoppers from an in-memory read model; inventory,
// search, reviews and recommendations grow here.
package product

import (
	"context"
	"fmt"
	"os"
	"time"

	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/product/internal/consumers"
	"siyu.dev/services/product/internal/events"
	"siyu.dev/services/product/internal/grpcapi"
	"siyu.dev/services/product/internal/mongostore"
)

// Config is read from the environment.
type Config struct {
	lifecycle.Common

	Database string `env:"SIYU_MONGO_DATABASE" default:"siyu_product" desc:"database owned by this service"`
	NATSURL  string `env:"NATS_URL" required:"true" desc:"NATS server with JetStream"`
	GRPCAddr string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9102" desc:"gRPC listen address"`

	// Refresh is how often counters, ratings and hot keywords are reloaded
	// from the database (zero: once a minute); tests shorten it.
	Refresh time.Duration `env:"-"`
}

// searchBuffer is how many search events wait for the broker before new
// ones are dropped.
const searchBuffer = 4096

func (c Config) refresh() time.Duration {
	if c.Refresh > 0 {
		return c.Refresh
	}
	return time.Minute
}

// Policy is the access rule of every product RPC: who may call it, by role.
// The role-matrix test of the whole shop reads it.
var Policy = grpcapi.Policy

// Run serves the product service until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := c.Common.Spec("product", c.GRPCAddr, c.Database)
	spec.NATSURL, spec.Stream, spec.Subjects, spec.Policy = c.NATSURL, events.Stream, events.Subjects, grpcapi.Policy
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) error {
		store := mongostore.New(in.DB)
		ext := newExtras(in.DB)
		store.Flush = in.Relay(store.ProductColl, store.StockColl, ext.reviews.ReviewColl).FlushAsync
		if err := ext.prepare(ctx, store.Flush); err != nil {
			return err
		}
		searches := events.NewSearchPublisher(natsx.NewPublisher(in.JS).Publish, searchBuffer, in.Logger)
		uc := wire(store, ext, searches, in.Clock)
		// Product events from a little before the load on are applied to
		// the read model, so nothing another instance writes meanwhile is missed.
		syncFrom := time.Now().Add(-time.Minute)
		if err := uc.loader.Load(ctx); err != nil {
			return err
		}
		if err := uc.api.Recommender.Refresh(ctx); err != nil {
			return err
		}
		grpcapi.Register(in.Server.GRPC(), uc.api)
		for _, start := range []func() (func(), error){
			func() (func(), error) { return consumers.StartOrders(ctx, in.JS, uc.api.Inventory, in.Logger) },
			func() (func(), error) { return consumers.StartSales(ctx, in.JS, uc.sales, in.Logger) },
			func() (func(), error) { return consumers.StartCatalogSync(ctx, in.JS, uc.sync, syncFrom, in.Logger) },
			func() (func(), error) {
				return consumers.StartReviews(ctx, in.JS, uc.api.Reviews, uc.api.Recommender, in.Logger)
			},
			func() (func(), error) { return consumers.StartHotKeywords(ctx, in.JS, uc.api.Keywords, in.Logger) },
		} {
			stop, err := start()
			if err != nil {
				return err
			}
			in.OnStop(stop)
		}
		// Every instance runs the loop; the lease lets one of them sweep.
		holder := fmt.Sprintf("%s-%d-%d", hostname(), os.Getpid(), time.Now().UnixNano())
		in.Every("reservation sweep", 10*time.Second, func(ctx context.Context) error {
			_, err := uc.api.Inventory.SweepReservations(ctx, holder)
			return err
		})
		in.Every("counters refresh", c.refresh(), uc.loader.Refresh)
		in.Every("recommendation refresh", recRefresh, uc.api.Recommender.Refresh)
		in.Go(searches.Run)
		return nil
	})
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "product"
	}
	return h
}
