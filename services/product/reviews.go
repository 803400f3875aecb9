package product

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"siyu.dev/services/product/internal/mongostore"
)

// extras are the stores of reviews and recommendations, which live in
// their own collections beside the catalogue's.
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
