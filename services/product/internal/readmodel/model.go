// Package readmodel is the product service's in-memory catalogue: every
// category, brand and product with stock levels, sales counters, rating
// summaries and a keyword index. It is loaded from the database at start
// and updated by every write, so shoppers' reads never touch the database.
// It holds no rules of its own; the use cases in internal/app decide what
// goes in.
package readmodel

import (
	"sort"
	"strings"
	"sync"
	"time"

	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/search"
)

// Model is the read model. Its methods are safe for concurrent use.
type Model struct {
	mu         sync.RWMutex
	categories map[string]domain.Category
	products   map[string]domain.Product
	// onSale is every product on sale in listing order.
	onSale []domain.Product
	// stock is each SKU's levels, kept apart from the products so a stock
	// change does not rebuild the listing; reads copy it into the SKUs.
	stock map[string]domain.StockLevel
	skus  map[string]bool
	// index finds products on sale by keywords; pos is each one's place in onSale.
	index *search.Index
	pos   map[string]int
	// price is each onSale product's lowest SKU price, for filters and sorts.
	price []int64
	// phrases are the category names and title words suggestions complete,
	// with the number of products on sale that carry them.
	phrases map[string]int
	// words are the lower-case title words and category names: the
	// vocabulary hot keywords must be made of.
	words  map[string]bool
	brands map[string]domain.Brand
	// codes is the product holding each SKU code, for imports.
	codes map[string]string
	// sales are the counters from paid and refunded orders, by product.
	sales map[string]*domain.Sales
	// ratings are the review summaries, by product.
	ratings map[string]domain.RatingSummary
	now     func() time.Time
}

// New is an empty model; now dates the "recent" sales counters.
func New(now func() time.Time) *Model {
	if now == nil {
		now = time.Now
	}
	return &Model{categories: map[string]domain.Category{}, products: map[string]domain.Product{}, stock: map[string]domain.StockLevel{}, skus: map[string]bool{},
		index: search.New(), pos: map[string]int{}, phrases: map[string]int{}, brands: map[string]domain.Brand{}, codes: map[string]string{},
		sales: map[string]*domain.Sales{}, ratings: map[string]domain.RatingSummary{}, now: now}
}

// Load replaces the categories and products.
func (c *Model) Load(cats []domain.Category, products []domain.Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.categories = map[string]domain.Category{}
	c.products = map[string]domain.Product{}
	c.index = search.New()
	for _, cat := range cats {
		c.categories[cat.ID] = cat
	}
	for _, p := range products {
		c.products[p.ID] = p
		for _, k := range p.Skus {
			c.skus[k.ID] = true
			c.codes[k.Code] = p.ID
		}
		c.indexProduct(p)
	}
	c.reindex()
}

// PutCategory adds or replaces a category.
func (c *Model) PutCategory(cat domain.Category) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.categories[cat.ID] = cat
}

// DropCategory forgets a category.
func (c *Model) DropCategory(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.categories, id)
}

// PutProduct adds or replaces a product, unless the model holds a newer
// version already (events from other instances can arrive after this
// instance's own write); it says whether it applied p.
func (c *Model) PutProduct(p domain.Product) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.products[p.ID]; ok && cur.Version >= p.Version && cur.Version > 0 {
		return false
	}
	p.Sales, p.RecentSales = 0, 0
	c.products[p.ID] = p
	for _, k := range p.Skus {
		c.skus[k.ID] = true
		c.codes[k.Code] = p.ID
	}
	c.indexProduct(p)
	c.reindex()
	return true
}

// indexProduct puts a product on sale into the keyword index and takes any
// other out. Caller holds the write lock.
func (c *Model) indexProduct(p domain.Product) {
	if p.Status != domain.StatusOnSale {
		c.index.Remove(p.ID)
		return
	}
	fields := []search.Field{{Text: p.Title, Weight: 3}, {Text: p.Subtitle, Weight: 0.5}}
	for id, n := p.CategoryID, 0; id != "" && n < domain.MaxCategoryLevel; n++ {
		cat, ok := c.categories[id]
		if !ok {
			break
		}
		fields = append(fields, search.Field{Text: cat.Name, Weight: 2})
		id = cat.ParentID
	}
	seen := map[string]bool{}
	for _, k := range p.Skus {
		for _, v := range k.Specs {
			if !seen[v] {
				seen[v] = true
				fields = append(fields, search.Field{Text: v, Weight: 1})
			}
		}
	}
	c.index.Put(p.ID, p.Title, fields...)
}

// SetStock records SKUs' levels.
func (c *Model) SetStock(levels ...domain.StockLevel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range levels {
		c.stock[l.SkuID] = l
	}
}

// HasSku reports whether a product (in any status) has the SKU.
func (c *Model) HasSku(id string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.skus[id]
}

// HasStock reports whether the SKU's levels are known.
func (c *Model) HasStock(skuID string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.stock[skuID]
	return ok
}

// withStock is p with its SKUs' current available units, on a copy of the
// SKU slice so the stored product is never written to. Caller holds the lock.
func (c *Model) withStock(p domain.Product) domain.Product {
	skus := make([]domain.Sku, len(p.Skus))
	copy(skus, p.Skus)
	for i := range skus {
		if l, ok := c.stock[skus[i].ID]; ok {
			skus[i].Stock = l.Available
		}
	}
	p.Skus = skus
	if s := c.sales[p.ID]; s != nil {
		p.Sales, p.RecentSales = s.Total, s.Recent(c.now())
	}
	if r, ok := c.ratings[p.ID]; ok {
		p.RatingX100, p.ReviewCount = r.AverageX100(), r.Count
	}
	return p
}

// reindex rebuilds the listing order: sort weight, then newest, then id.
func (c *Model) reindex() {
	list := make([]domain.Product, 0, len(c.products))
	for _, p := range c.products {
		if p.Status == domain.StatusOnSale {
			list = append(list, p)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.SortWeight != b.SortWeight {
			return a.SortWeight > b.SortWeight
		}
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	c.onSale = list
	c.pos = make(map[string]int, len(list))
	c.price = make([]int64, len(list))
	c.phrases = map[string]int{}
	c.words = map[string]bool{}
	for i, p := range list {
		c.pos[p.ID] = i
		c.price[i], _ = p.PriceRange()
		for _, w := range strings.Fields(p.Title) {
			c.phrases[w]++
			c.words[strings.ToLower(w)] = true
		}
		if cat, ok := c.categories[p.CategoryID]; ok {
			c.phrases[cat.Name]++
			c.words[strings.ToLower(cat.Name)] = true
		}
	}
}

// KnownWords reports whether every word of the normalised keyword kw is a
// word of the catalogue, or a piece of one ("连衣裙" of "碎花连衣裙"; Chinese
// titles are not split into words).
func (c *Model) KnownWords(kw string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, term := range strings.Fields(kw) {
		if c.words[term] {
			continue
		}
		found := false
		for w := range c.words {
			if strings.Contains(w, term) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Phrase is a category name or title word and the number of products on
// sale that carry it.
type Phrase struct {
	Text     string
	Products int
}

// PhrasesAfter lists the phrases whose lower-case form starts with the
// lower-case prefix and is longer than it: what a suggestion may complete.
func (c *Model) PhrasesAfter(prefix string) []Phrase {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Phrase
	for phrase, count := range c.phrases {
		if k := strings.ToLower(phrase); strings.HasPrefix(k, prefix) && k != prefix {
			out = append(out, Phrase{Text: phrase, Products: count})
		}
	}
	return out
}

// Category returns a category.
func (c *Model) Category(id string) (domain.Category, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cat, ok := c.categories[id]
	return cat, ok
}

// Product returns a product in any status, with its current stock, sales
// and rating.
func (c *Model) Product(id string) (domain.Product, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.products[id]
	if !ok {
		return p, false
	}
	return c.withStock(p), true
}

// ProductByCode is the product holding a SKU code.
func (c *Model) ProductByCode(code string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	id, ok := c.codes[code]
	return id, ok
}

// Categories returns the tree flattened, parents before children,
// siblings by sort order then name.
func (c *Model) Categories() []domain.Category {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tree()
}

// tree is Categories for a caller holding the lock.
func (c *Model) tree() []domain.Category {
	children := map[string][]domain.Category{}
	for _, cat := range c.categories {
		children[cat.ParentID] = append(children[cat.ParentID], cat)
	}
	var out []domain.Category
	var walk func(parent string)
	walk = func(parent string) {
		kids := children[parent]
		sort.Slice(kids, func(i, j int) bool {
			if kids[i].Sort != kids[j].Sort {
				return kids[i].Sort < kids[j].Sort
			}
			return kids[i].Name < kids[j].Name
		})
		for _, k := range kids {
			out = append(out, k)
			walk(k.ID)
		}
	}
	walk("")
	return out
}

// CategoryUsage counts a category's direct children and the products (in
// any status) filed directly under it.
func (c *Model) CategoryUsage(id string) (children, products int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, cat := range c.categories {
		if cat.ParentID == id {
			children++
		}
	}
	for _, p := range c.products {
		if p.CategoryID == id {
			products++
		}
	}
	return children, products
}

// List returns one page of products on sale, optionally within a category
// and its descendants, and the number of matches.
func (c *Model) List(categoryID string, offset, limit int) ([]domain.Product, int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var in map[string]bool
	if categoryID != "" {
		in = c.descendants(categoryID)
	}
	page := make([]domain.Product, 0, limit)
	total := 0
	for _, p := range c.onSale {
		if in != nil && !in[p.CategoryID] {
			continue
		}
		if total >= offset && len(page) < limit {
			page = append(page, c.withStock(p))
		}
		total++
	}
	return page, total
}

// ListAll is one page of every product in a status (0: any), newest first.
func (c *Model) ListAll(categoryID string, status domain.Status, offset, limit int) ([]domain.Product, int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var in map[string]bool
	if categoryID != "" {
		in = c.descendants(categoryID)
	}
	var all []domain.Product
	for _, p := range c.products {
		if (in == nil || in[p.CategoryID]) && (status == 0 || p.Status == status) {
			all = append(all, p)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].CreatedAt.After(all[j].CreatedAt)
		}
		return all[i].ID < all[j].ID
	})
	page := make([]domain.Product, 0, min(limit, max(len(all)-offset, 0)))
	for i := offset; i < len(all) && len(page) < limit; i++ {
		page = append(page, c.withStock(all[i]))
	}
	return page, len(all)
}

// descendants is id and every category below it. Caller holds the lock.
func (c *Model) descendants(id string) map[string]bool {
	set := map[string]bool{id: true}
	for changed := true; changed; {
		changed = false
		for _, cat := range c.categories {
			if set[cat.ParentID] && !set[cat.ID] {
				set[cat.ID] = true
				changed = true
			}
		}
	}
	return set
}
