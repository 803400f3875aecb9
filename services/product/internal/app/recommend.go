package app

import (
	"context"
	"siyu.dev/pkg/fault"
	"sync"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/product/internal/domain"
)

// Recommender serves related products, "for you" and hot lists from an
// in-memory model. Facts (paid orders, refunds, views) are stored first,
// once each, then applied; Refresh rebuilds the model from the stored facts
// so instances that did not consume an event catch up.
type Recommender struct {
	repo    domain.RecRepository
	catalog CatalogReader
	clk     clock.Clock
	// history, when set, also records a view in the member's browsing history.
	history ViewRecorder

	mu    sync.RWMutex
	model *domain.RecModel
}

// ViewRecorder keeps a member's browsing history; ShopperLists is one.
type ViewRecorder interface {
	RecordView(ctx context.Context, memberID, productID string) error
}

// NewRecommender builds the recommender; history may be nil (views are
// not added to browsing history). Call Refresh before serving.
func NewRecommender(repo domain.RecRepository, catalog CatalogReader, history ViewRecorder, clk clock.Clock) *Recommender {
	return &Recommender{repo: repo, catalog: catalog, history: history, clk: clk, model: domain.NewRecModel(clk.Now())}
}

// Refresh rebuilds the model from every stored fact.
func (r *Recommender) Refresh(ctx context.Context) error {
	purchases, err := r.repo.Purchases(ctx)
	if err != nil {
		return err
	}
	views, err := r.repo.Views(ctx)
	if err != nil {
		return err
	}
	m := domain.NewRecModel(r.clk.Now())
	for _, p := range purchases {
		m.AddPurchase(p)
	}
	for _, v := range views {
		m.AddView(v)
	}
	r.mu.Lock()
	r.model = m
	r.mu.Unlock()
	return nil
}

// AddPurchase applies a paid order or a refund once: a redelivered event
// finds its fact stored and changes nothing.
func (r *Recommender) AddPurchase(ctx context.Context, p domain.Purchase) error {
	if p.ID == "" || p.OrderID == "" {
		return fault.New(domain.KindInvalid, "ORDER_INVALID", "an order event needs an order id")
	}
	if p.At.IsZero() {
		p.At = r.clk.Now()
	}
	fresh, err := r.repo.AddPurchase(ctx, p)
	if err != nil || !fresh {
		return err
	}
	r.mu.Lock()
	r.model.AddPurchase(p)
	r.mu.Unlock()
	return nil
}

// RecordView notes that memberID viewed a product on sale.
func (r *Recommender) RecordView(ctx context.Context, memberID, productID string) error {
	if productID == "" {
		return fault.New(domain.KindInvalid, "PRODUCT_ID_REQUIRED", "product_id is required", "field", "product_id")
	}
	p, err := r.catalog.GetProduct(productID)
	if err != nil {
		return err
	}
	v := domain.View{MemberID: memberID, ProductID: productID, CategoryID: p.CategoryID, At: r.clk.Now()}
	if err := r.repo.AddView(ctx, v); err != nil {
		return err
	}
	r.mu.Lock()
	r.model.AddView(v)
	r.mu.Unlock()
	if r.history != nil {
		return r.history.RecordView(ctx, memberID, productID)
	}
	return nil
}

// Recommended is a recommendation with the product as shoppers see it.
type Recommended struct {
	domain.Scored
	Product domain.Product
}

func limit(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, fault.New(domain.KindInvalid, "LIMIT_INVALID", "limit must not be negative", "field", "limit")
	case n == 0:
		return 10, nil
	case n > 50:
		return 50, nil
	}
	return int(n), nil
}

// resolve keeps only products on sale with stock, looking each up in the
// read model once.
func (r *Recommender) resolve(pick func(accept func(string) bool) []domain.Scored) []Recommended {
	found := map[string]domain.Product{}
	accept := func(id string) bool {
		p, err := r.catalog.GetProduct(id)
		if err != nil || !inStock(p) {
			return false
		}
		found[id] = p
		return true
	}
	r.mu.RLock()
	list := pick(accept)
	r.mu.RUnlock()
	out := make([]Recommended, len(list))
	for i, s := range list {
		out[i] = Recommended{Scored: s, Product: found[s.ProductID]}
	}
	return out
}

func inStock(p domain.Product) bool {
	for _, k := range p.Skus {
		if k.Stock > 0 {
			return true
		}
	}
	return false
}

// Related lists products that go with productID.
func (r *Recommender) Related(productID string, n int32) ([]Recommended, error) {
	if productID == "" {
		return nil, fault.New(domain.KindInvalid, "PRODUCT_ID_REQUIRED", "product_id is required", "field", "product_id")
	}
	size, err := limit(n)
	if err != nil {
		return nil, err
	}
	p, err := r.catalog.GetProduct(productID)
	if err != nil {
		return nil, err
	}
	return r.resolve(func(accept func(string) bool) []domain.Scored {
		list := r.model.Related(productID, size, accept)
		if len(list) < size && r.model.Category(productID) == "" {
			// Never sold or viewed: its category comes from the catalog.
			have := map[string]bool{productID: true}
			for _, s := range list {
				have[s.ProductID] = true
			}
			list = append(list, r.model.Hot(p.CategoryID, size-len(list), have, accept)...)
		}
		return list
	}), nil
}

// ForYou recommends products to memberID; "" (a guest) gets the hot list.
func (r *Recommender) ForYou(memberID string, n int32) ([]Recommended, error) {
	size, err := limit(n)
	if err != nil {
		return nil, err
	}
	return r.resolve(func(accept func(string) bool) []domain.Scored {
		if memberID == "" {
			return r.model.Hot("", size, nil, accept)
		}
		return r.model.ForYou(memberID, size, accept)
	}), nil
}

// Hot ranks products by recent sales.
func (r *Recommender) Hot(categoryID string, n int32) ([]Recommended, error) {
	size, err := limit(n)
	if err != nil {
		return nil, err
	}
	return r.resolve(func(accept func(string) bool) []domain.Scored {
		return r.model.Hot(categoryID, size, nil, accept)
	}), nil
}
