package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/events"
)

// stockMargin keeps stock reserved past the payment deadline, so a payment
// that lands while the sweeper waits for the provider (reconcileGrace)
// still finds its units; payments later than that are refunded.
const stockMargin = reconcileGrace + 5*time.Minute

// Checkout prices carts and places orders.
type Checkout struct {
	carts      CartStore
	quotes     QuoteStore
	orders     OrderStore
	catalog    Catalog
	inventory  Inventory
	members    Members
	promotions domain.Promotions
	settings   Settings
	clk        clock.Clock
	// settle is how long a repeat waits for the first request's saga.
	settle time.Duration
	// crash, in tests, stops the saga dead after a named step, as if the
	// process died there: nothing is compensated.
	crash func(step string) bool
}

var errCrashed = errors.New("crashed (test)")

func (c *Checkout) crashed(step string) bool { return c.crash != nil && c.crash(step) }

// NewCheckout builds the checkout use cases.
func NewCheckout(carts CartStore, quotes QuoteStore, orders OrderStore, catalog Catalog, inventory Inventory, members Members,
	promotions domain.Promotions, settings Settings, clk clock.Clock) *Checkout {
	return &Checkout{carts: carts, quotes: quotes, orders: orders, catalog: catalog, inventory: inventory, members: members,
		promotions: promotions, settings: settings, clk: clk, settle: 20 * time.Second}
}

// QuoteInput is what the shopper asks to be priced.
type QuoteInput struct {
	MemberID    string
	Address     domain.Address
	PointsToUse int64
	CouponIDs   []string
	// BestCoupons, with no CouponIDs, applies the member's best coupons.
	BestCoupons bool
	// Activity is the marketing activity the order buys through.
	Activity domain.Activity
	// BuyNow lines are bought instead of the cart's selected lines.
	BuyNow []domain.CartLine
}

// maxBuyNow bounds the lines bought without the cart.
const maxBuyNow = 10

// Quote prices the member's selected cart lines (or the lines bought now)
// and stores the quote.
func (c *Checkout) Quote(ctx context.Context, in QuoteInput) (Quote, error) {
	a := in.Address
	if strings.TrimSpace(a.Name) == "" || strings.TrimSpace(a.Phone) == "" || strings.TrimSpace(a.Province) == "" || strings.TrimSpace(a.Detail) == "" {
		return Quote{}, fault.New(fault.Invalid, domain.ReasonAddressRequired, "an address needs a name, a phone, a province and a street", "field", "address")
	}
	lines := in.BuyNow
	if len(lines) > maxBuyNow {
		return Quote{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "buy at most 10 lines at once", "field", "buy_now")
	}
	for i := range lines {
		if lines[i].Quantity <= 0 || lines[i].SKUID == "" || lines[i].ProductID == "" {
			return Quote{}, fault.New(fault.Invalid, domain.ReasonQuantityInvalid, "a line needs a product, a SKU and a positive quantity", "field", "buy_now")
		}
		lines[i].Selected = true
	}
	if len(lines) == 0 {
		cart, err := c.carts.Cart(ctx, in.MemberID)
		if err != nil {
			return Quote{}, err
		}
		lines = cart.Selected()
	}
	standing, err := c.standing(ctx, in.MemberID)
	if err != nil {
		return Quote{}, err
	}
	if !in.Activity.None() {
		if len(lines) != 1 {
			return Quote{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "an activity buys one line, bought now", "field", "buy_now")
		}
		in.Activity.SKUID = lines[0].SKUID
	}
	p, err := c.price(ctx, priceRequest{memberID: in.MemberID, lines: lines, standing: standing, points: in.PointsToUse, coupons: in.CouponIDs,
		best: in.BestCoupons && len(in.CouponIDs) == 0, activity: in.Activity, region: a.Province, withStock: true})
	if err != nil {
		return Quote{}, err
	}
	now := c.clk.Now()
	// The quote keeps the coupons that shaped it: placing prices exactly
	// those again, not whatever would be best by then.
	q := Quote{ID: "q" + newID(now), MemberID: in.MemberID, Pricing: p, PointsRequested: in.PointsToUse, CouponIDs: p.CouponIDs(),
		Activity: in.Activity, BuyNow: len(in.BuyNow) > 0,
		LevelID: standing.LevelID, LevelPermille: standing.LevelPermille, Address: a, CreatedAt: now, ExpiresAt: now.Add(c.settings.QuoteTTL)}
	return q, c.quotes.SaveQuote(ctx, q)
}

// PlaceForInput is an order another service places for a member.
type PlaceForInput struct {
	MemberID, RequestID, Channel string
	Address                      domain.Address
	Lines                        []domain.CartLine
	Activity                     domain.Activity
}

// PlaceFor prices the lines through the activity and places the order,
// idempotent by the member and request id as Place is.
func (c *Checkout) PlaceFor(ctx context.Context, in PlaceForInput) (domain.Order, error) {
	if len(in.Lines) == 0 {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonNothingSelected, "lines are required", "field", "lines")
	}
	q, err := c.Quote(ctx, QuoteInput{MemberID: in.MemberID, Address: in.Address, Activity: in.Activity, BuyNow: in.Lines})
	if err != nil {
		return domain.Order{}, err
	}
	return c.Place(ctx, PlaceInput{MemberID: in.MemberID, RequestID: in.RequestID, QuoteID: q.ID, Channel: in.Channel})
}

func (c *Checkout) standing(ctx context.Context, memberID string) (MemberStanding, error) {
	s, err := c.members.Standing(ctx, memberID)
	if err != nil {
		return s, err
	}
	if s.Blocked || s.Deleted {
		return s, fault.New(fault.Precondition, domain.ReasonMemberBlocked, "this account cannot place orders")
	}
	return s, nil
}

// price runs the chain over cart lines as the catalogue has them now.
// withStock also refuses lines the catalogue shows out of stock (quotes);
// placing leaves that to the reservation, which is exact.
// priceRequest is what price needs.
type priceRequest struct {
	memberID  string
	lines     []domain.CartLine
	standing  MemberStanding
	points    int64
	coupons   []string
	best      bool
	activity  domain.Activity
	region    string
	withStock bool
}

func (c *Checkout) price(ctx context.Context, r priceRequest) (domain.Pricing, error) {
	selected, s, region, withStock := r.lines, r.standing, r.region, r.withStock
	if len(selected) == 0 {
		return domain.Pricing{}, fault.New(fault.Precondition, domain.ReasonNothingSelected, "select at least one cart line to check out")
	}
	products, err := c.catalog.Products(ctx, productIDs(selected))
	if err != nil {
		return domain.Pricing{}, err
	}
	view := priceCart(selected, products)
	lines := make([]domain.PricingLine, 0, len(view.Lines))
	for _, l := range view.Lines {
		if l.Problem != "" && (withStock || l.Problem != domain.ReasonOutOfStock) {
			return domain.Pricing{}, fault.New(fault.Precondition, l.Problem, "a selected line cannot be bought as it is", "sku_id", l.SKUID)
		}
		lines = append(lines, domain.PricingLine{SKUID: l.SKUID, ProductID: l.ProductID, CategoryID: l.SKU.CategoryID, Title: l.SKU.Title,
			SpecText: l.SKU.SpecText, ImageURL: l.SKU.ImageURL, Quantity: l.Quantity, UnitPriceFen: l.SKU.PriceFen})
	}
	level := domain.LevelDiscount{Permille: s.LevelPermille}
	// Promotions and coupons see the lines after the level discount, as
	// the chain applies them.
	afterLevel, err := domain.Price(lines, region, level)
	if err != nil {
		return domain.Pricing{}, err
	}
	granted, err := c.promotions.Discounts(ctx, domain.PromotionInput{MemberID: r.memberID, Lines: afterLevel.Lines, CouponIDs: r.coupons, BestCoupons: r.best, Activity: r.activity})
	if err != nil {
		return domain.Pricing{}, err
	}
	if granted.NoMemberLevel {
		// The activity's price is all the shopper gets (marketing's
		// stacking table); its discounts were priced from catalogue prices.
		level = domain.LevelDiscount{}
	}
	return domain.Price(lines, region,
		level,
		domain.ApplyPromotions{Discounts: granted.Discounts},
		domain.PointsDeduction{Requested: r.points, Balance: s.Points, Rule: c.settings.Points},
		domain.Shipping{Rule: c.settings.Shipping})
}

// PlaceInput is a CreateOrder request.
type PlaceInput struct {
	MemberID, RequestID, QuoteID, Remark, Channel string
}

func (in PlaceInput) hash() string {
	h := sha256.Sum256([]byte(in.QuoteID + "\x00" + in.Remark + "\x00" + in.Channel))
	return hex.EncodeToString(h[:])
}

// Place runs the checkout saga for a quote: the order is written first
// (PLACING, marked as holding stock and points before either is asked
// for), the request id is claimed, then the member is checked, the price
// compared with the quote, stock reserved and points frozen, and the order
// becomes PENDING_PAYMENT with order.created in its outbox. A failure marks
// the order FAILED with its reason and releases what may be held; a crash
// leaves a PLACING order past its deadline, which the sweeper fails and
// releases the same way. A repeat of the request answers what the first
// one did.
func (c *Checkout) Place(ctx context.Context, in PlaceInput) (domain.Order, error) {
	if in.RequestID == "" || len(in.RequestID) > 64 {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonRequestIDRequired, "request_id is required (at most 64 characters)", "field", "request_id")
	}
	if in.QuoteID == "" {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonQuoteNotFound, "quote_id is required", "field", "quote_id")
	}
	if len(in.Remark) > 500 || len(in.Channel) > 32 {
		return domain.Order{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "remark is at most 500 bytes and channel 32", "field", "remark")
	}
	q, err := c.quotes.Quote(ctx, in.QuoteID)
	if err != nil {
		return domain.Order{}, err
	}
	if q.MemberID != in.MemberID {
		return domain.Order{}, fault.New(fault.NotFound, domain.ReasonQuoteNotFound, "no such quote")
	}
	now := c.clk.Now()
	o := orderFromQuote(q, in, now)
	o.DueAt = now.Add(c.settings.PlacingTimeout)
	if err := c.orders.Insert(ctx, o); err != nil {
		return domain.Order{}, err
	}
	if c.crashed("inserted") {
		return domain.Order{}, errCrashed
	}
	first, firstHash, claimed, err := c.orders.ClaimRequest(ctx, in.MemberID, in.RequestID, o.ID, o.RequestHash)
	if err != nil || !claimed {
		// Nothing was asked for yet: the order can go.
		_ = c.orders.Delete(ctx, o.ID)
		if err != nil {
			return domain.Order{}, err
		}
		if firstHash != o.RequestHash {
			return domain.Order{}, fault.New(fault.Precondition, domain.ReasonRequestIDReused, "this request_id was used for another order", "field", "request_id")
		}
		return c.awaitFirst(ctx, first)
	}
	if c.crashed("claimed") {
		return domain.Order{}, errCrashed
	}
	return c.saga(ctx, o, q)
}

func orderFromQuote(q Quote, in PlaceInput, now time.Time) domain.Order {
	id := newID(now)
	p := q.Pricing
	o := domain.Order{ID: id, MemberID: in.MemberID, RequestID: in.RequestID, RequestHash: in.hash(), Status: domain.StatusPlacing,
		Promotions: p.Promotions, GoodsFen: p.GoodsFen(), ShippingFen: p.ShippingFen, TotalFen: p.TotalFen(), PointsUsed: p.PointsUsed,
		Address: q.Address, Channel: in.Channel, Remark: in.Remark, CreatedAt: now, UpdatedAt: now,
		HoldsStock: true, HoldsPoints: p.PointsUsed > 0, HoldsPromotions: p.HoldsPromotions(q.Activity), Activity: q.Activity,
		AwaitingGroup: q.Activity.Kind == domain.SourceGroupBuy, Version: 1}
	for i, l := range p.Lines {
		o.Lines = append(o.Lines, domain.OrderLine{LineID: fmt.Sprintf("%s-%d", id, i+1), PricedLine: l})
	}
	return o
}

// awaitFirst answers a repeated request with the first one's outcome,
// waiting while its saga runs.
func (c *Checkout) awaitFirst(ctx context.Context, id string) (domain.Order, error) {
	deadline := time.Now().Add(c.settle)
	for {
		o, err := c.orders.Order(ctx, id)
		if err != nil {
			return o, err
		}
		switch o.Status {
		case domain.StatusPlacing:
		case domain.StatusFailed:
			return domain.Order{}, fault.New(failKind(o.FailReason), o.FailReason, o.FailMsg)
		default:
			return o, nil
		}
		if time.Now().After(deadline) {
			return domain.Order{}, fault.New(fault.Unavailable, domain.ReasonServiceBusy, "the first request with this request_id is still being placed: retry")
		}
		select {
		case <-ctx.Done():
			return domain.Order{}, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// failKind is the kind a stored failure is answered with again.
func failKind(r fault.Reason) fault.Kind {
	switch r {
	case domain.ReasonServiceBusy:
		return fault.Unavailable
	case domain.ReasonSKUNotFound:
		return fault.NotFound
	}
	return fault.Precondition
}

func (c *Checkout) saga(ctx context.Context, o domain.Order, q Quote) (domain.Order, error) {
	if !c.clk.Now().Before(q.ExpiresAt) {
		return c.fail(ctx, o, fault.New(fault.Precondition, domain.ReasonQuoteExpired, "the quote expired: check out again"))
	}
	standing, err := c.standing(ctx, o.MemberID)
	if err != nil {
		return c.fail(ctx, o, err)
	}
	var cartLines []domain.CartLine
	for _, l := range q.Pricing.Lines {
		cartLines = append(cartLines, domain.CartLine{ProductID: l.ProductID, SKUID: l.SKUID, Quantity: l.Quantity, Selected: true})
	}
	now, err := c.price(ctx, priceRequest{memberID: o.MemberID, lines: cartLines, standing: standing, points: q.PointsRequested, coupons: q.CouponIDs,
		activity: q.Activity, region: q.Address.Province})
	if err != nil {
		return c.fail(ctx, o, err)
	}
	if !samePrice(now, q.Pricing) {
		return c.fail(ctx, o, fault.New(fault.Precondition, domain.ReasonPriceChanged, "prices changed since the quote: check out again",
			"quoted_fen", fmt.Sprint(q.Pricing.TotalFen()), "now_fen", fmt.Sprint(now.TotalFen())))
	}
	stock := make([]StockLine, 0, len(o.Lines))
	for _, l := range o.Lines {
		stock = append(stock, StockLine{SKUID: l.SKUID, Quantity: l.Quantity})
	}
	if err := c.inventory.Reserve(ctx, o.ID, stock, c.settings.Timing.PayWithin+stockMargin); err != nil {
		return c.fail(ctx, o, err)
	}
	if c.crashed("reserved") {
		return domain.Order{}, errCrashed
	}
	if o.PointsUsed > 0 {
		if err := c.members.FreezePoints(ctx, o.MemberID, o.ID, o.PointsUsed); err != nil {
			return c.fail(ctx, o, err)
		}
	}
	if c.crashed("frozen") {
		return domain.Order{}, errCrashed
	}
	if o.HoldsPromotions {
		if err := c.promotions.Hold(ctx, o.MemberID, o.ID, q.Pricing.CouponIDs(), q.Activity); err != nil {
			return c.fail(ctx, o, err)
		}
	}
	placed := o
	if err := placed.Do(domain.ActionPlaced, c.clk.Now(), c.settings.Timing); err != nil {
		return c.fail(ctx, o, err)
	}
	evs, err := events.For(ctx, placed, domain.ActionPlaced)
	if err != nil {
		return c.fail(ctx, o, err)
	}
	saved, err := c.orders.Update(ctx, placed, evs...)
	if err != nil {
		// The sweeper gave the saga up meanwhile (or the store failed):
		// answer what the order is now, releasing again to be sure.
		cur, gerr := c.orders.Order(ctx, o.ID)
		if gerr == nil && cur.Status == domain.StatusFailed {
			_ = release(ctx, c.orders, c.inventory, c.members, c.promotions, cur, c.clk)
			return domain.Order{}, fault.New(failKind(cur.FailReason), cur.FailReason, cur.FailMsg)
		}
		return c.fail(ctx, o, err)
	}
	if !q.BuyNow {
		c.dropFromCart(ctx, saved)
	}
	return saved, nil
}

func samePrice(a, b domain.Pricing) bool {
	if len(a.Lines) != len(b.Lines) || a.TotalFen() != b.TotalFen() || a.ShippingFen != b.ShippingFen || a.PointsUsed != b.PointsUsed {
		return false
	}
	for i := range a.Lines {
		x, y := a.Lines[i], b.Lines[i]
		if x.SKUID != y.SKUID || x.Quantity != y.Quantity || x.UnitPriceFen != y.UnitPriceFen || x.PayableFen != y.PayableFen {
			return false
		}
	}
	return true
}

// fail gives the saga up: the order is FAILED with the reason (what a
// repeat of the request answers) and whatever may be held is released.
func (c *Checkout) fail(ctx context.Context, o domain.Order, cause error) (domain.Order, error) {
	f, ok := fault.As(cause)
	if !ok || f.Kind == fault.Unavailable || f.Kind == fault.Aborted {
		// A dependency failed: the stored answer says so, and the shopper
		// retries with a new request id.
		f = fault.New(fault.Unavailable, domain.ReasonServiceBusy, "the order could not be placed now: try again")
	}
	o.FailReason, o.FailMsg = f.Reason, f.Msg
	if err := o.Do(domain.ActionFail, c.clk.Now(), c.settings.Timing); err != nil {
		return domain.Order{}, err
	}
	saved, err := c.orders.Update(ctx, o)
	if err != nil {
		// The sweeper will fail and release it after PlacingTimeout.
		return domain.Order{}, f
	}
	_ = release(ctx, c.orders, c.inventory, c.members, c.promotions, saved, c.clk)
	return domain.Order{}, f
}

// dropFromCart removes the ordered lines from the cart; a failure leaves
// them for the shopper to remove.
func (c *Checkout) dropFromCart(ctx context.Context, o domain.Order) {
	for range casAttempts {
		cart, err := c.carts.Cart(ctx, o.MemberID)
		if err != nil {
			return
		}
		var skus []string
		for _, l := range o.Lines {
			skus = append(skus, l.SKUID)
		}
		cart.Remove(skus)
		cart.UpdatedAt = c.clk.Now()
		if err := c.carts.SaveCart(ctx, cart); !errors.Is(err, ErrStale) {
			return
		}
	}
}

// release gives back what a cancelled or failed order may hold, then
// records it. Both releases are idempotent, so repeating this is safe.
func release(ctx context.Context, orders OrderStore, inv Inventory, members Members, coupons domain.Promotions, o domain.Order, clk clock.Clock) error {
	if !o.NeedsRelease() {
		return nil
	}
	if o.HoldsPromotions {
		if err := coupons.Release(ctx, o.MemberID, o.ID, o.Activity); err != nil {
			return err
		}
	}
	if o.HoldsPoints {
		if err := members.ReleasePoints(ctx, o.MemberID, o.ID); err != nil {
			return err
		}
	}
	if o.HoldsStock {
		if err := inv.Release(ctx, o.ID); err != nil {
			return err
		}
	}
	o.Released(clk.Now())
	_, err := orders.Update(ctx, o)
	return err
}

// newID is a time-ordered id: the UTC time to the second, then 48 random
// bits, so ids sort by creation and never collide in practice.
func newID(now time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102150405") + hex.EncodeToString(b[:])
}
