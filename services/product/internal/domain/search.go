package domain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SearchOrder is how search results are sorted. The values match the API's enum.
type SearchOrder int

// Search orders; zero is relevance.
const (
	OrderRelevance SearchOrder = iota + 1
	OrderPriceAsc
	OrderPriceDesc
	OrderSales
	OrderNewest
	// OrderHot is units sold in the HotWindow.
	OrderHot
	// OrderRating is the average rating of visible reviews.
	OrderRating
)

// MaxQueryLength is the longest keyword query in characters.
const MaxQueryLength = 50

// SearchQuery is a shopper's search.
type SearchQuery struct {
	Query      string
	CategoryID string
	MinPrice   int64
	MaxPrice   int64
	Tags       []string
	InStock    bool
	Order      SearchOrder
}

// NormalizeSearch checks a search and fills defaults.
func NormalizeSearch(q SearchQuery) (SearchQuery, error) {
	q.Query = strings.TrimSpace(q.Query)
	if utf8.RuneCountInString(q.Query) > MaxQueryLength {
		return q, invalid("QUERY_TOO_LONG", "query", "query must be at most %d characters", MaxQueryLength)
	}
	if q.MinPrice < 0 || q.MaxPrice < 0 || (q.MaxPrice > 0 && q.MinPrice > q.MaxPrice) {
		return q, invalid("PRICE_RANGE_INVALID", "min_price_fen", "prices must be non-negative and min_price_fen at most max_price_fen")
	}
	for _, t := range q.Tags {
		if !tagSet[t] {
			return q, invalid("TAG_INVALID", "tags", "tag %q is not one of new, hot, recommended", t)
		}
	}
	if q.Order == 0 {
		q.Order = OrderRelevance
	}
	if q.Order < OrderRelevance || q.Order > OrderRating {
		return q, invalid("ORDER_INVALID", "order_by", "unknown order_by")
	}
	return q, nil
}

// Key is the canonical form of a search, which page tokens are bound to.
func (q SearchQuery) Key() string {
	return fmt.Sprintf("q=%s|c=%s|p=%d-%d|t=%s|s=%v|o=%d", q.Query, q.CategoryID, q.MinPrice, q.MaxPrice, strings.Join(q.Tags, ","), q.InStock, q.Order)
}
