package app

import (
	"context"
	"errors"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/order/internal/domain"
)

// casAttempts bounds compare-and-set retries of one request.
const casAttempts = 8

// CartLineView is a cart line with what the catalogue says now.
type CartLineView struct {
	domain.CartLine
	SKU     domain.SKUView
	Problem fault.Reason
}

// CartView is a cart priced now.
type CartView struct {
	Lines            []CartLineView
	SelectedQuantity int64
	SelectedFen      int64
}

// Carts are the member's cart use cases.
type Carts struct {
	store   CartStore
	catalog Catalog
	clk     clock.Clock
}

// NewCarts builds the cart use cases.
func NewCarts(store CartStore, catalog Catalog, clk clock.Clock) *Carts {
	return &Carts{store: store, catalog: catalog, clk: clk}
}

// Get returns the member's cart.
func (c *Carts) Get(ctx context.Context, memberID string) (CartView, error) {
	cart, err := c.store.Cart(ctx, memberID)
	if err != nil {
		return CartView{}, err
	}
	return c.view(ctx, cart)
}

// Add puts units of a SKU in the cart; the SKU must exist.
func (c *Carts) Add(ctx context.Context, memberID, productID, skuID string, qty int64) (CartView, error) {
	products, err := c.catalog.Products(ctx, []string{productID})
	if err != nil {
		return CartView{}, err
	}
	if _, ok := products[productID].SKUs[skuID]; !ok {
		return CartView{}, fault.New(fault.NotFound, domain.ReasonSKUNotFound, "no such product or SKU", "sku_id", skuID)
	}
	return c.mutate(ctx, memberID, func(cart *domain.Cart) error { return cart.Add(productID, skuID, qty, c.clk.Now()) })
}

// Update sets a line's quantity.
func (c *Carts) Update(ctx context.Context, memberID, skuID string, qty int64) (CartView, error) {
	return c.mutate(ctx, memberID, func(cart *domain.Cart) error { return cart.SetQuantity(skuID, qty) })
}

// Remove drops lines.
func (c *Carts) Remove(ctx context.Context, memberID string, skuIDs []string) (CartView, error) {
	return c.mutate(ctx, memberID, func(cart *domain.Cart) error { cart.Remove(skuIDs); return nil })
}

// Select marks lines for checkout.
func (c *Carts) Select(ctx context.Context, memberID string, skuIDs []string, selected bool) (CartView, error) {
	return c.mutate(ctx, memberID, func(cart *domain.Cart) error { return cart.Select(skuIDs, selected) })
}

// Merge adds a guest cart; what does not fit comes back.
func (c *Carts) Merge(ctx context.Context, memberID string, guest []domain.CartLine) (CartView, []domain.CartLine, error) {
	var left []domain.CartLine
	v, err := c.mutate(ctx, memberID, func(cart *domain.Cart) error {
		var err error
		left, err = cart.Merge(guest, c.clk.Now())
		return err
	})
	return v, left, err
}

// mutate applies fn to the stored cart with compare-and-set, retrying when
// another request of the same member wrote first.
func (c *Carts) mutate(ctx context.Context, memberID string, fn func(*domain.Cart) error) (CartView, error) {
	if memberID == "" {
		return CartView{}, fault.New(fault.Invalid, domain.ReasonMemberIDRequired, "member id is required")
	}
	for range casAttempts {
		cart, err := c.store.Cart(ctx, memberID)
		if err != nil {
			return CartView{}, err
		}
		cart.MemberID = memberID
		if err := fn(&cart); err != nil {
			return CartView{}, err
		}
		cart.UpdatedAt = c.clk.Now()
		err = c.store.SaveCart(ctx, cart)
		if errors.Is(err, ErrStale) {
			continue
		}
		if err != nil {
			return CartView{}, err
		}
		cart.Version++
		return c.view(ctx, cart)
	}
	return CartView{}, ErrStale
}

// view prices the cart against the catalogue now.
func (c *Carts) view(ctx context.Context, cart domain.Cart) (CartView, error) {
	if len(cart.Lines) == 0 {
		return CartView{}, nil
	}
	products, err := c.catalog.Products(ctx, productIDs(cart.Lines))
	if err != nil {
		return CartView{}, err
	}
	return priceCart(cart.Lines, products), nil
}

func productIDs(lines []domain.CartLine) []string {
	seen := map[string]bool{}
	var ids []string
	for _, l := range lines {
		if !seen[l.ProductID] {
			seen[l.ProductID] = true
			ids = append(ids, l.ProductID)
		}
	}
	return ids
}

// priceCart marks each line with its problem and totals the selected lines
// that can be bought.
func priceCart(lines []domain.CartLine, products map[string]ProductView) CartView {
	units := map[string]int64{}
	for _, l := range lines {
		units[l.ProductID] += l.Quantity
	}
	var v CartView
	for _, l := range lines {
		sku, found := products[l.ProductID].SKUs[l.SKUID]
		lv := CartLineView{CartLine: l, SKU: sku, Problem: domain.LineProblem(l, sku, found, units[l.ProductID])}
		if l.Selected && lv.Problem == "" {
			v.SelectedQuantity += l.Quantity
			v.SelectedFen += l.Quantity * sku.PriceFen
		}
		v.Lines = append(v.Lines, lv)
	}
	return v
}
