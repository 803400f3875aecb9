// Package app holds the product service's use cases, one small type per
// group, each built with only the ports it needs:
//
//   - Catalog: shoppers' reads (products, listings, categories, brands, search)
//   - Products: operators' catalogue writes and reads
//   - Importer: products from an operator's file
//   - CatalogSync: other instances' product changes into this one's read model
//   - Inventory: stock, reservations for checkout and the reservation sweeper
//   - ShopperLists: a member's favourites and browsing history
//   - Keywords: hot keywords, suggestions and the operators' block list
//   - Sales: sales counters from order events
//   - Reviews and Recommender: reviews, ratings and recommendations
//   - Loader: fills the read model at start and refreshes its counters
//
// Shoppers are served from the in-memory read model (internal/readmodel);
// operators' writes go to the repository first and then into it.
package app

import (
	"crypto/rand"
	"encoding/base32"
	"hash/fnv"
	"strings"
	"sync"

	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
)

// Page is one page of a product listing.
type Page struct {
	Products      []domain.Product
	NextPageToken string
	Total         int
}

// pageOf pages a listing whose matches the read model counted: the token
// for the next page carries the filter the listing is bound to.
func pageOf(items []domain.Product, total, offset int, filter string) Page {
	page := Page{Products: items, Total: total}
	if next := offset + len(items); next < total {
		page.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: next, Filter: filter})
	}
	return page
}

// keyLocks serialises this instance's writers of one key (a SKU, a product,
// a member's list), so concurrent writes queue instead of failing each
// other's version checks; the version check in the store keeps several
// instances correct.
type keyLocks [64]sync.Mutex

func (l *keyLocks) lock(key string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	m := &l[h.Sum32()%uint32(len(l))]
	m.Lock()
	return m.Unlock
}

func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
