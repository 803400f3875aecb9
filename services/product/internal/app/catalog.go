package app

import (
	"sort"
	"sync"

	"siyu.dev/services/product/internal/domain"
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
}

func newCatalog() *catalog {
	return &catalog{categories: map[string]domain.Category{}, products: map[string]domain.Product{}}
}

func (c *catalog) load(cats []domain.Category, products []domain.Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.categories = map[string]domain.Category{}
	c.products = map[string]domain.Product{}
	for _, cat := range cats {
		c.categories[cat.ID] = cat
	}
	for _, p := range products {
		c.products[p.ID] = p
	}
	c.reindex()
}

func (c *catalog) putCategory(cat domain.Category) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.categories[cat.ID] = cat
}

// putProduct adds or replaces a product; events from other instances will
// call it too once products change elsewhere.
func (c *catalog) putProduct(p domain.Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.products[p.ID] = p
	c.reindex()
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
	return p, ok
}

// allCategories returns the tree flattened, parents before children,
// siblings by sort order then name.
func (c *catalog) allCategories() []domain.Category {
	c.mu.RLock()
	defer c.mu.RUnlock()
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
			page = append(page, p)
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
