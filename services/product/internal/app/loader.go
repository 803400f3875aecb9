package app

import (
	"context"
	"errors"

	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// RatingSource lists the rating summaries of reviewed products.
type RatingSource interface {
	Summaries(ctx context.Context) ([]domain.RatingSummary, error)
}

// Loader fills the read model from the database before the service serves,
// and reloads the counters every instance shares (sales, hot keywords,
// ratings): the durable consumers hand each event to one instance, and the
// others pick up its counts at the next Refresh.
type Loader struct {
	model     *readmodel.Model
	repo      domain.Repository
	inventory *Inventory
	sales     *Sales
	keywords  *Keywords
	ratings   RatingSource
}

// NewLoader builds the loader. A nil part is not loaded: without inventory
// products show the stock they were created with, without sales no
// counters, without keywords no shared hot list, without ratings no review
// summaries.
func NewLoader(model *readmodel.Model, repo domain.Repository, inventory *Inventory, sales *Sales, keywords *Keywords, ratings RatingSource) *Loader {
	return &Loader{model: model, repo: repo, inventory: inventory, sales: sales, keywords: keywords, ratings: ratings}
}

// Load fills the read model: categories, products and brands, then the
// counters, then stock (creating what is missing).
func (l *Loader) Load(ctx context.Context) error {
	cats, err := l.repo.Categories(ctx)
	if err != nil {
		return err
	}
	products, err := l.repo.Products(ctx)
	if err != nil {
		return err
	}
	brands, err := l.repo.Brands(ctx)
	if err != nil {
		return err
	}
	l.model.Load(cats, products)
	l.model.SetBrands(brands)
	if l.sales != nil {
		if err := l.sales.load(ctx); err != nil {
			return err
		}
	}
	if l.keywords != nil {
		if err := l.keywords.loadHotKeywords(ctx); err != nil {
			return err
		}
	}
	if l.ratings != nil {
		if err := l.loadRatings(ctx); err != nil {
			return err
		}
	}
	if l.inventory != nil {
		return l.inventory.loadStock(ctx, products)
	}
	return nil
}

// Refresh reloads the sales counters, hot keywords and ratings that are in
// use; each part is tried even when another fails.
func (l *Loader) Refresh(ctx context.Context) error {
	var errs []error
	if l.sales != nil {
		errs = append(errs, l.sales.load(ctx))
	}
	if l.keywords != nil {
		errs = append(errs, l.keywords.refreshHotKeywords(ctx))
	}
	if l.ratings != nil {
		errs = append(errs, l.loadRatings(ctx))
	}
	return errors.Join(errs...)
}

func (l *Loader) loadRatings(ctx context.Context) error {
	list, err := l.ratings.Summaries(ctx)
	if err != nil {
		return err
	}
	l.model.SetRatings(list)
	return nil
}
