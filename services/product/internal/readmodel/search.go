package readmodel

import (
	"cmp"
	"slices"
	"strings"

	"siyu.dev/services/product/internal/domain"
)

// Facet is the number of matches in a category and below it.
type Facet struct {
	Category domain.Category
	Count    int
}

type candidate struct {
	p     *domain.Product
	score float64
	price int64
	sales int64
	hot   int64
	// rating is the average times 100 and reviews the count of visible reviews.
	rating  int32
	reviews int64
}

// Search runs a normalised query over the products on sale: keyword
// matches (or everything for an empty query), the filters, facets over
// every filter but the category, the sort, and one page. It returns the
// page, the number of matches and the facets.
func (c *Model) Search(q domain.SearchQuery, offset, limit int) ([]domain.Product, int, []Facet) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var cands []candidate
	if q.Query != "" {
		for _, h := range c.index.Match(q.Query) {
			if i, ok := c.pos[h.ID]; ok {
				cands = append(cands, candidate{p: &c.onSale[i], score: h.Score, price: c.price[i]})
			}
		}
	} else {
		cands = make([]candidate, len(c.onSale))
		for i := range c.onSale {
			cands[i] = candidate{p: &c.onSale[i], price: c.price[i]}
		}
	}
	var in map[string]bool
	if q.CategoryID != "" {
		in = c.descendants(q.CategoryID)
	}
	perCategory := map[string]int{}
	now := c.now()
	matched := cands[:0]
	for _, cd := range cands {
		p := cd.p
		if (q.MinPrice > 0 && cd.price < q.MinPrice) || (q.MaxPrice > 0 && cd.price > q.MaxPrice) || !hasTags(p.Tags, q.Tags) {
			continue
		}
		inStock := false
		for _, k := range p.Skus {
			l, ok := c.stock[k.ID]
			if !ok {
				l.Available = k.Stock
			}
			inStock = inStock || l.Available > 0
			cd.sales += l.Sold
		}
		if q.InStock && !inStock {
			continue
		}
		// The counters from order events are the sales once there are any;
		// before them, the units sold through reservations stand in.
		if s := c.sales[p.ID]; s != nil {
			cd.sales, cd.hot = s.Total, s.Recent(now)
		}
		if r, ok := c.ratings[p.ID]; ok {
			cd.rating, cd.reviews = r.AverageX100(), r.Count
		}
		perCategory[p.CategoryID]++
		if in != nil && !in[p.CategoryID] {
			continue
		}
		matched = append(matched, cd)
	}
	slices.SortFunc(matched, func(a, b candidate) int { return compare(q.Order, a, b) })
	page := make([]domain.Product, 0, min(limit, max(len(matched)-offset, 0)))
	for i := offset; i < len(matched) && len(page) < limit; i++ {
		page = append(page, c.withStock(*matched[i].p))
	}
	return page, len(matched), c.facets(perCategory)
}

func hasTags(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// compare orders candidates by the requested order, then by the listing
// order (sort weight, newest, id) so equal keys page stably.
func compare(o domain.SearchOrder, a, b candidate) int {
	var c int
	switch o {
	case domain.OrderRelevance:
		c = cmp.Compare(b.score, a.score)
	case domain.OrderPriceAsc:
		c = cmp.Compare(a.price, b.price)
	case domain.OrderPriceDesc:
		c = cmp.Compare(b.price, a.price)
	case domain.OrderSales:
		c = cmp.Compare(b.sales, a.sales)
	case domain.OrderNewest:
		c = b.p.CreatedAt.Compare(a.p.CreatedAt)
	case domain.OrderHot:
		if c = cmp.Compare(b.hot, a.hot); c == 0 {
			c = cmp.Compare(b.sales, a.sales)
		}
	case domain.OrderRating:
		if c = cmp.Compare(b.rating, a.rating); c == 0 {
			c = cmp.Compare(b.reviews, a.reviews)
		}
	}
	if c != 0 {
		return c
	}
	if c = cmp.Compare(b.p.SortWeight, a.p.SortWeight); c != 0 {
		return c
	}
	if c = b.p.CreatedAt.Compare(a.p.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.p.ID, b.p.ID)
}

// facets rolls per-category counts up the tree; parents first. Caller holds the lock.
func (c *Model) facets(perCategory map[string]int) []Facet {
	total := map[string]int{}
	for id, n := range perCategory {
		for depth := 0; id != "" && depth < domain.MaxCategoryLevel; depth++ {
			total[id] += n
			id = c.categories[id].ParentID
		}
	}
	var out []Facet
	for _, cat := range c.tree() {
		if n := total[cat.ID]; n > 0 {
			out = append(out, Facet{Category: cat, Count: n})
		}
	}
	return out
}
