package domain

import (
	"context"
	"siyu.dev/pkg/fault"
	"time"
)

// Member list limits.
const (
	MaxFavourites = 200
	MaxHistory    = 100
)

// ErrFavouritesFull is returned when a member has saved the most products allowed.
var ErrFavouritesFull = fault.New(KindFailedPrecondition, "FAVOURITES_FULL", "at most 200 favourites; remove some first")

// ErrFavouriteNotFound is returned when the product is not in the caller's favourites.
var ErrFavouriteNotFound = fault.New(KindNotFound, "FAVOURITE_NOT_FOUND", "the product is not in your favourites")

// ErrListConflict is returned when a member's list kept changing under a write.
var ErrListConflict = fault.New(KindFailedPrecondition, "CONCURRENT_UPDATE", "the list changed concurrently too often; retry")

// SavedItem is a product in a member's list and when it got there.
type SavedItem struct {
	ProductID string
	At        time.Time
}

// ListKind names a member's list.
type ListKind string

// The member lists.
const (
	Favourites ListKind = "favourites"
	History    ListKind = "history"
)

// AddFavourite puts productID first in items, newest first. A product
// already saved keeps its place and time, so adding is idempotent.
func AddFavourite(items []SavedItem, productID string, at time.Time) ([]SavedItem, bool, error) {
	for _, it := range items {
		if it.ProductID == productID {
			return items, false, nil
		}
	}
	if len(items) >= MaxFavourites {
		return items, false, ErrFavouritesFull
	}
	return append([]SavedItem{{ProductID: productID, At: at}}, items...), true, nil
}

// RemoveItem drops productID from items.
func RemoveItem(items []SavedItem, productID string) ([]SavedItem, bool) {
	for i, it := range items {
		if it.ProductID == productID {
			return append(append([]SavedItem{}, items[:i]...), items[i+1:]...), true
		}
	}
	return items, false
}

// RecordView moves productID to the top of a history, dropping the oldest
// views past MaxHistory.
func RecordView(items []SavedItem, productID string, at time.Time) []SavedItem {
	rest, _ := RemoveItem(items, productID)
	out := append([]SavedItem{{ProductID: productID, At: at}}, rest...)
	if len(out) > MaxHistory {
		out = out[:MaxHistory]
	}
	return out
}

// ShopperRepository stores each member's lists, one document per member and list.
type ShopperRepository interface {
	SavedItems(ctx context.Context, kind ListKind, memberID string) ([]SavedItem, error)
	// MutateSaved applies change to the member's list atomically (retrying
	// on concurrent writes); change reports whether it changed anything.
	MutateSaved(ctx context.Context, kind ListKind, memberID string, change func([]SavedItem) ([]SavedItem, bool, error)) ([]SavedItem, error)
}
