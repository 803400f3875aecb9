package app

import (
	"sort"
	"strings"
	"sync"
	"time"

	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/search"
)

// catalog is the in-memory read model shoppers are served from: loaded from
// the database at startup and updated by every write, so reads never touch
// the database.
type catalog struct {
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

func newCatalog() *catalog {
	return &catalog{categories: map[string]domain.Category{}, products: map[string]domain.Product{}, stock: map[string]domain.StockLevel{}, skus: map[string]bool{},
		index: search.New(), pos: map[string]int{}, phrases: map[string]int{}, brands: map[string]domain.Brand{}, codes: map[string]string{},
		sales: map[string]*domain.Sales{}, ratings: map[string]domain.RatingSummary{}, now: time.Now}
}

func (c *catalog) load(cats []domain.Category, products []domain.Product) {
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

func (c *catalog) putCategory(cat domain.Category) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.categories[cat.ID] = cat
}

// putProduct adds or replaces a product, unless the read model holds a
// newer version already (events from other instances can arrive after this
// instance's own write); it says whether it applied p.
func (c *catalog) putProduct(p domain.Product) bool {
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
func (c *catalog) indexProduct(p domain.Product) {
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

// setStock records SKUs' levels.
func (c *catalog) setStock(levels ...domain.StockLevel) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range levels {
		c.stock[l.SkuID] = l
	}
}

func (c *catalog) hasSku(id string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.skus[id]
}

// withStock is p with its SKUs' current available units, on a copy of the
// SKU slice so the stored product is never written to. Caller holds the lock.
func (c *catalog) withStock(p domain.Product) domain.Product {
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
func (c *catalog) reindex() {
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

// knownWords reports whether every word of the normalised keyword kw is a
// word of the catalogue, or a piece of one ("连衣裙" of "碎花连衣裙"; Chinese
// titles are not split into words).
func (c *catalog) knownWords(kw string) bool {
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

func (c *catalog) category(id string) (domain.Category, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	cat, ok := c.categories[id]
	return cat, ok
}

func (c *catalog) product(id string) (domain.Product, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.products[id]
	if !ok {
		return p, false
	}
	return c.withStock(p), true
}

// allCategories returns the tree flattened, parents before children,
// siblings by sort order then name.
func (c *catalog) allCategories() []domain.Category {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tree()
}

// tree is allCategories for a caller holding the lock.
func (c *catalog) tree() []domain.Category {
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

// list returns one page of products on sale, optionally within a category
// and its descendants, and the number of matches.
func (c *catalog) list(categoryID string, offset, limit int) ([]domain.Product, int) {
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

// descendants is id and every category below it. Caller holds the lock.
func (c *catalog) descendants(id string) map[string]bool {
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
