package domain

import (
	"time"

	"siyu.dev/pkg/fault"
)

// MaxCartLines is how many SKUs a cart holds.
const MaxCartLines = 100

// MaxLineQuantity bounds one line, whatever the stock.
const MaxLineQuantity = 999

// CartLine is one SKU in a cart.
type CartLine struct {
	ProductID string
	SKUID     string
	Quantity  int64
	Selected  bool
	AddedAt   time.Time
}

// Cart is a member's cart; its id is the member id.
type Cart struct {
	MemberID  string
	Lines     []CartLine
	Version   int64
	UpdatedAt time.Time
}

func (c *Cart) index(sku string) int {
	for i, l := range c.Lines {
		if l.SKUID == sku {
			return i
		}
	}
	return -1
}

func checkQuantity(q int64) error {
	if q < 1 || q > MaxLineQuantity {
		return fault.New(fault.Invalid, ReasonQuantityInvalid, "quantity must be between 1 and 999", "field", "quantity")
	}
	return nil
}

// Add puts qty units of sku in the cart (adding to a line already there),
// selected. A new SKU beyond MaxCartLines is CART_FULL.
func (c *Cart) Add(product, sku string, qty int64, now time.Time) error {
	if sku == "" || product == "" {
		return fault.New(fault.Invalid, ReasonArgumentInvalid, "product_id and sku_id are required", "field", "sku_id")
	}
	if err := checkQuantity(qty); err != nil {
		return err
	}
	if i := c.index(sku); i >= 0 {
		q := min(c.Lines[i].Quantity+qty, MaxLineQuantity)
		c.Lines[i].Quantity, c.Lines[i].Selected = q, true
		return nil
	}
	if len(c.Lines) >= MaxCartLines {
		return fault.New(fault.Precondition, ReasonCartFull, "the cart holds at most 100 products: remove some first", "max_lines", "100")
	}
	c.Lines = append(c.Lines, CartLine{ProductID: product, SKUID: sku, Quantity: qty, Selected: true, AddedAt: now})
	return nil
}

// SetQuantity replaces a line's quantity.
func (c *Cart) SetQuantity(sku string, qty int64) error {
	if err := checkQuantity(qty); err != nil {
		return err
	}
	i := c.index(sku)
	if i < 0 {
		return fault.New(fault.NotFound, ReasonCartLineNotFound, "that product is not in the cart", "sku_id", sku)
	}
	c.Lines[i].Quantity = qty
	return nil
}

// Select marks lines for checkout (or unmarks them); unknown SKUs are
// CART_LINE_NOT_FOUND and nothing changes.
func (c *Cart) Select(skus []string, selected bool) error {
	for _, s := range skus {
		if c.index(s) < 0 {
			return fault.New(fault.NotFound, ReasonCartLineNotFound, "that product is not in the cart", "sku_id", s)
		}
	}
	for _, s := range skus {
		c.Lines[c.index(s)].Selected = selected
	}
	return nil
}

// Remove drops lines; SKUs not in the cart are ignored, so a repeat is harmless.
func (c *Cart) Remove(skus []string) {
	drop := map[string]bool{}
	for _, s := range skus {
		drop[s] = true
	}
	kept := c.Lines[:0]
	for _, l := range c.Lines {
		if !drop[l.SKUID] {
			kept = append(kept, l)
		}
	}
	c.Lines = kept
}

// Merge adds a guest cart (lines a client held before login). Quantities of
// SKUs already present add up; lines that would pass MaxCartLines are left
// out and returned, so the client can tell the shopper.
func (c *Cart) Merge(guest []CartLine, now time.Time) (left []CartLine, err error) {
	for _, g := range guest {
		if err := checkQuantity(g.Quantity); err != nil {
			return nil, err
		}
		if g.SKUID == "" || g.ProductID == "" {
			return nil, fault.New(fault.Invalid, ReasonArgumentInvalid, "product_id and sku_id are required", "field", "sku_id")
		}
	}
	for _, g := range guest {
		if c.index(g.SKUID) < 0 && len(c.Lines) >= MaxCartLines {
			left = append(left, g)
			continue
		}
		_ = c.Add(g.ProductID, g.SKUID, g.Quantity, now)
	}
	return left, nil
}

// Selected are the lines marked for checkout.
func (c *Cart) Selected() []CartLine {
	var out []CartLine
	for _, l := range c.Lines {
		if l.Selected {
			out = append(out, l)
		}
	}
	return out
}

// SKUView is what the catalogue says about a SKU now.
type SKUView struct {
	SKUID      string
	ProductID  string
	CategoryID string
	Title      string
	SpecText   string
	ImageURL   string
	PriceFen   int64
	OnShelf    bool
	// Available units now.
	Available int64
	// PurchaseLimit is the product's units per member per order; 0 is none.
	PurchaseLimit int64
}

// LineProblem says why a line cannot be bought as it is: SKU_NOT_FOUND,
// OFF_SHELF, OUT_OF_STOCK (fewer units than asked for), OVER_PURCHASE_LIMIT
// (the cart's units of the product, over all its SKUs, exceed the limit), or
// "" when it can. productUnits is the cart's units of the line's product.
func LineProblem(l CartLine, sku SKUView, found bool, productUnits int64) fault.Reason {
	switch {
	case !found:
		return ReasonSKUNotFound
	case !sku.OnShelf:
		return ReasonOffShelf
	case sku.Available < l.Quantity:
		return ReasonOutOfStock
	case sku.PurchaseLimit > 0 && productUnits > sku.PurchaseLimit:
		return ReasonOverLimit
	}
	return ""
}
