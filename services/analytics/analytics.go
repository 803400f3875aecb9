// Package analytics is the analytics service. It takes the storefront's
// tracking events (page and product views, adds to cart, searches, shares)
// and counts them by day; projections for member segments and campaign
// results come with its own issue.
package analytics

import (
	"context"

	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/analytics/internal/app"
	"siyu.dev/services/analytics/internal/grpcapi"
	"siyu.dev/services/analytics/internal/mongostore"
)

// Config is read from the environment.
type Config struct {
	lifecycle.Common

	Database string `env:"SIYU_MONGO_DATABASE" default:"siyu_analytics" desc:"database owned by this service"`
	GRPCAddr string `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9106" desc:"gRPC listen address"`
}

// Policy is the access rule of every analytics RPC.
var Policy = grpcapi.Policy

// Run serves until ctx is done.
func Run(ctx context.Context, c Config) error {
	spec := c.Common.Spec("analytics", c.GRPCAddr, c.Database)
	spec.Policy = grpcapi.Policy
	return lifecycle.Run(ctx, spec, func(ctx context.Context, in *lifecycle.Infra) error {
		grpcapi.Register(in.Server.GRPC(), app.NewTracking(mongostore.New(in.DB), in.Clock))
		return nil
	})
}
