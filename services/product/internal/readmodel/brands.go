package readmodel

import (
	"sort"

	"siyu.dev/services/product/internal/domain"
)

// SetBrands replaces the brands.
func (c *Model) SetBrands(list []domain.Brand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.brands = map[string]domain.Brand{}
	for _, b := range list {
		c.brands[b.ID] = b
	}
}

// PutBrand adds or replaces a brand.
func (c *Model) PutBrand(b domain.Brand) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.brands[b.ID] = b
}

// DropBrand forgets a brand.
func (c *Model) DropBrand(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.brands, id)
}

// Brand returns a brand.
func (c *Model) Brand(id string) (domain.Brand, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.brands[id]
	return b, ok
}

// HasBrand reports whether the brand exists.
func (c *Model) HasBrand(id string) bool {
	_, ok := c.Brand(id)
	return ok
}

// Brands lists the brands by sort order, then name, then id.
func (c *Model) Brands() []domain.Brand {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]domain.Brand, 0, len(c.brands))
	for _, b := range c.brands {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sort != out[j].Sort {
			return out[i].Sort < out[j].Sort
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// BrandInUse reports whether any product, drafts included, names the brand.
func (c *Model) BrandInUse(id string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, p := range c.products {
		if p.BrandID == id {
			return true
		}
	}
	return false
}
