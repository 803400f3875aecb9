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

// start wires reviews and recommendations into the running service. flush
// publishes a document's outbox (the relay includes the reviews collection).
func (x extras) start(ctx context.Context, in *lifecycle.Infra, svc *app.Service, flush func(*mongo.Collection, any)) (stop func(), err error) {
	x.reviews.Flush = flush
	if err := x.reviews.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	// Repairs a count lost to a crash between a review and its summary update.
	if err := x.reviews.RebuildSummaries(ctx); err != nil {
		return nil, err
	}
	reviews := app.NewReviews(x.reviews, in.Clock)
	if err := svc.UseRatings(ctx, x.reviews); err != nil {
		return nil, err
	}
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
