package product

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/consumers"
	"siyu.dev/services/product/internal/grpcapi"
	"siyu.dev/services/product/internal/mongostore"
)

// extras are reviews and recommendations: their stores, use cases, gRPC
// services and order-event consumers.
type extras struct {
	reviews *mongostore.ReviewStore
	recs    *mongostore.RecStore
}

func newExtras(db *mongo.Database) extras {
	return extras{reviews: mongostore.NewReviewStore(db), recs: mongostore.NewRecStore(db)}
}

// recRefresh is how often an instance rebuilds its recommendation model
// from the stored facts, picking up events other instances consumed.
const recRefresh = time.Minute

// prepare readies the reviews store before the catalogue loads its rating
// summaries from it. flush publishes a document's outbox (the relay
// includes the reviews collection).
func (x extras) prepare(ctx context.Context, flush func(*mongo.Collection, any)) error {
	x.reviews.Flush = flush
	if err := x.reviews.EnsureIndexes(ctx); err != nil {
		return err
	}
	// Repairs a count lost to a crash between a review and its summary update.
	return x.reviews.RebuildSummaries(ctx)
}

// start wires reviews and recommendations into the running service.
func (x extras) start(ctx context.Context, in *lifecycle.Infra, svc *app.Service) (stop func(), err error) {
	reviews := app.NewReviews(x.reviews, in.Clock)
	reviews.OnSummaryChange(svc.SetRating)
	rec := app.NewRecommender(x.recs, svc, in.Clock)
	rec.UseHistory(svc.RecordView)
	if err := rec.Refresh(ctx); err != nil {
		return nil, err
	}
	grpcapi.RegisterReviews(in.Server.GRPC(), reviews)
	grpcapi.RegisterRecommendations(in.Server.GRPC(), rec)
	in.Every("recommendation refresh", recRefresh, rec.Refresh)
	return consumers.StartReviews(ctx, in.JS, reviews, rec, in.Logger)
}
