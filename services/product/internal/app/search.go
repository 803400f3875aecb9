package app

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"strings"
	"sync"

	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
)

// Facet is the number of matches in a category and below it.
type Facet struct {
	Category domain.Category
	Count    int
}

// SearchPage is one page of search results.
type SearchPage struct {
	Page
	Facets []Facet
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

// search runs q over the products on sale: keyword matches (or everything
// for an empty query), the filters, facets over every filter but the
// category, the sort, and one page.
func (c *catalog) search(q domain.SearchQuery, offset, limit int) ([]domain.Product, int, []Facet) {
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
func (c *catalog) facets(perCategory map[string]int) []Facet {
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

// SearchProducts finds products on sale (AIP-158 paging; the token is bound
// to the whole query). The first page of a keyword search is a search for
// hot keywords (later pages are the same search read on): with UseSearchEvents
// it becomes a product.searched event, otherwise this instance counts it.
// memberID is the signed-in shopper, empty for guests; client names who
// searched (the member or the network) so a keyword counts once per client
// and day.
func (s *Service) SearchProducts(ctx context.Context, memberID, client string, q domain.SearchQuery, pageSize int32, pageToken string) (SearchPage, error) {
	q, err := domain.NormalizeSearch(q)
	if err != nil {
		return SearchPage{}, err
	}
	size, err := pagetoken.PageSize(pageSize, 20, 100)
	if err != nil {
		return SearchPage{}, err
	}
	tok, err := pagetoken.Decode(pageToken, q.Key())
	if err != nil {
		return SearchPage{}, err
	}
	if q.CategoryID != "" {
		if _, ok := s.catalog.category(q.CategoryID); !ok {
			return SearchPage{}, domain.ErrCategoryNotFound
		}
	}
	items, total, facets := s.catalog.search(q, tok.Offset, size)
	page := SearchPage{Page: Page{Products: items, Total: total}, Facets: facets}
	if next := tok.Offset + len(items); next < total {
		page.NextPageToken = pagetoken.Encode(pagetoken.Token{Offset: next, Filter: q.Key()})
	}
	if pageToken == "" && q.Query != "" {
		s.searched(ctx, memberID, client, q.Query, total)
	}
	return page, nil
}

// hotKeywords counts searched keywords in this instance. It is bounded:
// past maxHot keywords the rarer half is forgotten.
type hotKeywords struct {
	mu     sync.Mutex
	counts map[string]int64
	// blocks are the operators' block list.
	blocks map[string]bool
	// seen are the keyword and client pairs counted today (without events).
	seen    map[string]bool
	seenDay string
}

const (
	maxHot  = 10000
	maxSeen = 100000
)

func (h *hotKeywords) record(q string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = map[string]int64{}
	}
	h.counts[q]++
	if len(h.counts) > maxHot {
		top := h.topLocked(maxHot / 2)
		h.counts = make(map[string]int64, len(top))
		for _, k := range top {
			h.counts[k.Keyword] = k.Count
		}
	}
}

// HotKeyword is a keyword and how often it was searched.
type HotKeyword struct {
	Keyword string
	Count   int64
}

func (h *hotKeywords) top(n int) []HotKeyword {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.topLocked(n)
}

func (h *hotKeywords) topLocked(n int) []HotKeyword {
	out := make([]HotKeyword, 0, len(h.counts))
	for k, c := range h.counts {
		if !h.blocks[k] {
			out = append(out, HotKeyword{k, c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Keyword < out[j].Keyword
	})
	return out[:min(n, len(out))]
}

func limitOf(requested int32, def, most int) (int, error) {
	return pagetoken.PageSize(requested, def, most)
}

// HotKeywords are the most searched keywords.
func (s *Service) HotKeywords(limit int32) ([]HotKeyword, error) {
	n, err := limitOf(limit, 10, 50)
	if err != nil {
		return nil, err
	}
	return s.hot.top(n), nil
}

// SuggestKeywords completes a prefix from category names, title words and
// searched keywords: hot ones first, then those on more products, then
// shorter ones. An empty prefix suggests the hot keywords.
func (s *Service) SuggestKeywords(prefix string, limit int32) ([]string, error) {
	n, err := limitOf(limit, 10, 20)
	if err != nil {
		return nil, err
	}
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if prefix == "" {
		var out []string
		for _, h := range s.hot.top(n) {
			out = append(out, h.Keyword)
		}
		return out, nil
	}
	type cand struct {
		text     string
		hot      int64
		products int
	}
	found := map[string]*cand{}
	s.catalog.mu.RLock()
	for phrase, count := range s.catalog.phrases {
		if k := strings.ToLower(phrase); strings.HasPrefix(k, prefix) && k != prefix {
			found[k] = &cand{text: phrase, products: count}
		}
	}
	s.catalog.mu.RUnlock()
	for _, h := range s.hot.top(maxHot) {
		if strings.HasPrefix(h.Keyword, prefix) && h.Keyword != prefix {
			if c, ok := found[h.Keyword]; ok {
				c.hot = h.Count
			} else {
				found[h.Keyword] = &cand{text: h.Keyword, hot: h.Count}
			}
		}
	}
	list := make([]*cand, 0, len(found))
	for _, c := range found {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.hot != b.hot {
			return a.hot > b.hot
		}
		if a.products != b.products {
			return a.products > b.products
		}
		if len(a.text) != len(b.text) {
			return len(a.text) < len(b.text)
		}
		return a.text < b.text
	})
	out := make([]string, 0, n)
	for _, c := range list[:min(n, len(list))] {
		out = append(out, c.text)
	}
	return out, nil
}
