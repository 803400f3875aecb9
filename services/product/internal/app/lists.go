package app

import (
	"context"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
)

// ShopperLists are a member's own lists: favourites and browsing history,
// each shown with the products as shoppers see them now.
type ShopperLists struct {
	repo    domain.ShopperRepository
	catalog CatalogReader
	clk     clock.Clock
	// locks serialise this instance's writers of one member's list.
	locks keyLocks
}

// NewShopperLists builds the list use cases over the shoppers' catalogue.
func NewShopperLists(repo domain.ShopperRepository, catalog CatalogReader, clk clock.Clock) *ShopperLists {
	return &ShopperLists{repo: repo, catalog: catalog, clk: clk}
}

// mutateList changes one member list under the instance lock, so one
// member's concurrent requests queue rather than exhaust the version retries.
func (s *ShopperLists) mutateList(ctx context.Context, kind domain.ListKind, memberID string, change func([]domain.SavedItem) ([]domain.SavedItem, bool, error)) ([]domain.SavedItem, error) {
	unlock := s.locks.lock(string(kind) + "\x00" + memberID)
	defer unlock()
	return s.repo.MutateSaved(ctx, kind, memberID, change)
}

// Saved is a list entry with the product as shoppers see it now (nil once
// it is no longer on sale).
type Saved struct {
	domain.SavedItem
	Product *domain.Product
}

// SavedPage is one page of a member's list.
type SavedPage struct {
	Items         []Saved
	NextPageToken string
	Total         int
}

func (s *ShopperLists) onSale(productID string) error {
	if productID == "" {
		return fault.New(domain.KindInvalid, "PRODUCT_ID_REQUIRED", "product_id is required", "field", "product_id")
	}
	_, err := s.catalog.GetProduct(productID)
	return err
}

// AddFavourite saves a product on sale for memberID.
func (s *ShopperLists) AddFavourite(ctx context.Context, memberID, productID string) (Saved, error) {
	if err := s.onSale(productID); err != nil {
		return Saved{}, err
	}
	items, err := s.mutateList(ctx, domain.Favourites, memberID, func(items []domain.SavedItem) ([]domain.SavedItem, bool, error) {
		return domain.AddFavourite(items, productID, s.clk.Now())
	})
	if err != nil {
		return Saved{}, err
	}
	for _, it := range items {
		if it.ProductID == productID {
			return s.saved(it), nil
		}
	}
	return Saved{}, domain.ErrListConflict
}

// RemoveFavourite drops a product from memberID's favourites.
func (s *ShopperLists) RemoveFavourite(ctx context.Context, memberID, productID string) error {
	if productID == "" {
		return fault.New(domain.KindInvalid, "PRODUCT_ID_REQUIRED", "product_id is required", "field", "product_id")
	}
	found := false
	_, err := s.mutateList(ctx, domain.Favourites, memberID, func(items []domain.SavedItem) ([]domain.SavedItem, bool, error) {
		out, ok := domain.RemoveItem(items, productID)
		found = found || ok
		return out, ok, nil
	})
	if err == nil && !found {
		return domain.ErrFavouriteNotFound
	}
	return err
}

// RecordView puts a product on sale at the top of memberID's history.
func (s *ShopperLists) RecordView(ctx context.Context, memberID, productID string) error {
	if err := s.onSale(productID); err != nil {
		return err
	}
	_, err := s.mutateList(ctx, domain.History, memberID, func(items []domain.SavedItem) ([]domain.SavedItem, bool, error) {
		return domain.RecordView(items, productID, s.clk.Now()), true, nil
	})
	return err
}

// ClearHistory empties memberID's history.
func (s *ShopperLists) ClearHistory(ctx context.Context, memberID string) error {
	_, err := s.mutateList(ctx, domain.History, memberID, func(items []domain.SavedItem) ([]domain.SavedItem, bool, error) {
		return nil, len(items) > 0, nil
	})
	return err
}

// ListSaved pages through one of memberID's lists, newest first.
func (s *ShopperLists) ListSaved(ctx context.Context, kind domain.ListKind, memberID string, pageSize int32, pageToken string) (SavedPage, error) {
	size, err := pagetoken.PageSize(pageSize, 20, 100)
	if err != nil {
		return SavedPage{}, err
	}
	// The token is bound to the member too, so it cannot page someone else's list.
	filter := string(kind) + " member=" + memberID
	tok, err := pagetoken.Decode(pageToken, filter)
	if err != nil {
		return SavedPage{}, err
	}
	items, err := s.repo.SavedItems(ctx, kind, memberID)
	if err != nil {
		return SavedPage{}, err
	}
	page := SavedPage{Total: len(items)}
	for i := tok.Offset; i < len(items) && len(page.Items) < size; i++ {
		page.Items = append(page.Items, s.saved(items[i]))
	}
	if next := tok.Offset + len(page.Items); next < len(items) {
		page.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: next, Filter: filter})
	}
	return page, nil
}

func (s *ShopperLists) saved(it domain.SavedItem) Saved {
	out := Saved{SavedItem: it}
	if p, err := s.catalog.GetProduct(it.ProductID); err == nil {
		out.Product = &p
	}
	return out
}
