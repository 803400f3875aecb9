package domain

import (
	"context"
	"strconv"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/money"
)

// Checkout pricing is an ordered chain of small calculators over one
// Pricing. Order-level amounts (the level discount, a promotion, the points
// deduction) are computed once on the whole and then split across the lines
// they cover with Allocate, so the lines always add up to the order.

// DiscountSource names where a discount came from, in events and quotes.
type DiscountSource string

const (
	SourceMemberLevel DiscountSource = "member_level"
	SourcePoints      DiscountSource = "points"
)

// PricingLine is a line entering the chain: what the shopper buys at the
// catalogue price.
type PricingLine struct {
	SKUID        string
	ProductID    string
	CategoryID   string
	Title        string
	SpecText     string
	ImageURL     string
	Quantity     int64
	UnitPriceFen int64
}

// PricedLine is a line with what the chain took off it.
type PricedLine struct {
	PricingLine
	SubtotalFen int64
	// Discounts by source ("member_level", "points", a promotion kind).
	Discounts map[DiscountSource]int64
	// PayableFen is the subtotal less every discount.
	PayableFen int64
}

// AppliedPromotion is a promotion that shaped the price.
type AppliedPromotion struct {
	Kind      DiscountSource // "coupon", "flash_sale", "full_reduction", ...
	ID        string
	AmountFen int64
}

// Pricing is the state the calculators work on; Price builds it.
type Pricing struct {
	Lines       []PricedLine
	Promotions  []AppliedPromotion
	PointsUsed  int64
	ShippingFen int64
	// Region is the delivery province, for the shipping fee.
	Region string
	// MerchandiseFen is the goods after level and promotion discounts,
	// before points: what the free-shipping threshold is measured against.
	MerchandiseFen int64
}

// Calculator is one step of the chain.
type Calculator interface {
	Apply(p *Pricing) error
}

// Price runs the chain over the lines, in the order given.
func Price(lines []PricingLine, region string, chain ...Calculator) (Pricing, error) {
	if len(lines) == 0 {
		return Pricing{}, fault.New(fault.Precondition, ReasonNothingSelected, "select at least one cart line to check out")
	}
	p := Pricing{Region: region, Lines: make([]PricedLine, len(lines))}
	for i, l := range lines {
		if l.Quantity <= 0 || l.UnitPriceFen < 0 {
			return Pricing{}, fault.New(fault.Invalid, ReasonQuantityInvalid, "a line needs a positive quantity and a price", "sku_id", l.SKUID)
		}
		sub := l.Quantity * l.UnitPriceFen
		p.Lines[i] = PricedLine{PricingLine: l, SubtotalFen: sub, PayableFen: sub, Discounts: map[DiscountSource]int64{}}
	}
	for _, c := range chain {
		if err := c.Apply(&p); err != nil {
			return Pricing{}, err
		}
	}
	p.MerchandiseFen = 0
	for _, l := range p.Lines {
		p.MerchandiseFen += l.PayableFen + l.Discounts[SourcePoints]
	}
	return p, nil
}

// GoodsFen is the lines at catalogue prices.
func (p Pricing) GoodsFen() int64 {
	var s int64
	for _, l := range p.Lines {
		s += l.SubtotalFen
	}
	return s
}

// DiscountFen is what a source took off the whole order.
func (p Pricing) DiscountFen(src DiscountSource) int64 {
	var s int64
	for _, l := range p.Lines {
		s += l.Discounts[src]
	}
	return s
}

// LinesPayableFen is the lines after every discount.
func (p Pricing) LinesPayableFen() int64 {
	var s int64
	for _, l := range p.Lines {
		s += l.PayableFen
	}
	return s
}

// TotalFen is what the shopper pays: the lines plus shipping.
func (p Pricing) TotalFen() int64 { return p.LinesPayableFen() + p.ShippingFen }

// take splits amount across the lines selected by in (all when nil), in
// proportion to what each still costs, and books it under src. The amount
// is capped at what those lines still cost; it returns what was taken.
func (p *Pricing) take(src DiscountSource, amount int64, in func(PricedLine) bool) int64 {
	weights := make([]int64, len(p.Lines))
	var room int64
	for i, l := range p.Lines {
		if in == nil || in(l) {
			weights[i] = l.PayableFen
			room += l.PayableFen
		}
	}
	amount = min(amount, room)
	if amount <= 0 {
		return 0
	}
	for i, share := range money.Allocate(amount, weights) {
		if share == 0 {
			continue
		}
		p.Lines[i].Discounts[src] += share
		p.Lines[i].PayableFen -= share
	}
	return amount
}

// LevelDiscount takes the member level's discount off the goods:
// permille thousandths of the order (50 = 5% off), rounded down to the fen.
type LevelDiscount struct{ Permille int64 }

func (d LevelDiscount) Apply(p *Pricing) error {
	if d.Permille <= 0 {
		return nil
	}
	if d.Permille > 1000 {
		return fault.New(fault.Invalid, ReasonArgumentInvalid, "a level discount is at most 1000 per mille")
	}
	var base int64
	for _, l := range p.Lines {
		base += l.PayableFen
	}
	q, _ := money.MulDiv(base, d.Permille, 1000)
	p.take(SourceMemberLevel, q, nil)
	return nil
}

// PromotionDiscount is what the marketing service grants on an order.
type PromotionDiscount struct {
	Kind      DiscountSource
	ID        string
	AmountFen int64
	// SKUIDs the promotion covers; empty means every line.
	SKUIDs []string
}

// Kinds of promotions the order service treats specially.
const (
	SourceCoupon   DiscountSource = "coupon"
	SourceGroupBuy DiscountSource = "group_buy"
)

// Activity is the marketing activity an order buys through (flash sale,
// group-buy, bargain); Ref is the reservation, group or bargain.
type Activity struct {
	Kind DiscountSource
	ID   string
	Ref  string
	// SKUID is the SKU bought through it (set by checkout from the line).
	SKUID string
}

// None reports whether no activity is named.
func (a Activity) None() bool { return a.Kind == "" }

// PromotionInput is what the promotions port prices.
type PromotionInput struct {
	MemberID string
	// Lines after the member level discount.
	Lines []PricedLine
	// CouponIDs the shopper chose to use; with none, BestCoupons asks for
	// the combination of their coupons that takes most.
	CouponIDs   []string
	BestCoupons bool
	Activity    Activity
}

// Granted is what the promotions port granted: its discounts, in the order
// they apply, and whether the member level discount applies too.
type Granted struct {
	Discounts     []PromotionDiscount
	NoMemberLevel bool
}

// Promotions is the port the marketing service fills: what promotions and
// coupons take off, and holding the coupons for an order (idempotent by
// order id, as is releasing them).
type Promotions interface {
	Discounts(ctx context.Context, in PromotionInput) (Granted, error)
	Hold(ctx context.Context, memberID, orderID string, couponIDs []string, a Activity) error
	Release(ctx context.Context, memberID, orderID string, a Activity) error
}

// NoPromotions grants nothing (tests, and a shop without marketing).
type NoPromotions struct{}

func (NoPromotions) Discounts(context.Context, PromotionInput) (Granted, error) {
	return Granted{}, nil
}
func (NoPromotions) Hold(context.Context, string, string, []string, Activity) error {
	return nil
}
func (NoPromotions) Release(context.Context, string, string, Activity) error { return nil }

// HoldsPromotions reports whether placing must hold promotions in
// marketing: coupons or an activity's place.
func (p Pricing) HoldsPromotions(a Activity) bool { return len(p.CouponIDs()) > 0 || !a.None() }

// CouponIDs are the coupons that shaped the price.
func (p Pricing) CouponIDs() []string {
	var ids []string
	for _, pr := range p.Promotions {
		if pr.Kind == SourceCoupon {
			ids = append(ids, pr.ID)
		}
	}
	return ids
}

// ApplyPromotions books the discounts the port granted.
type ApplyPromotions struct{ Discounts []PromotionDiscount }

func (a ApplyPromotions) Apply(p *Pricing) error {
	for _, d := range a.Discounts {
		if d.AmountFen < 0 || d.Kind == "" {
			return fault.New(fault.Invalid, ReasonArgumentInvalid, "a promotion needs a kind and a non-negative amount")
		}
		var in func(PricedLine) bool
		if len(d.SKUIDs) > 0 {
			covered := map[string]bool{}
			for _, s := range d.SKUIDs {
				covered[s] = true
			}
			in = func(l PricedLine) bool { return covered[l.SKUID] }
		}
		if took := p.take(d.Kind, d.AmountFen, in); took > 0 {
			p.Promotions = append(p.Promotions, AppliedPromotion{Kind: d.Kind, ID: d.ID, AmountFen: took})
		}
	}
	return nil
}

// PointsRule says what points are worth at checkout.
type PointsRule struct {
	// PointsPerYuan is how many points make one yuan (100: a point is a fen).
	PointsPerYuan int64
	// MaxSharePermille caps the deduction as thousandths of what the goods
	// still cost after discounts (500: points pay at most half).
	MaxSharePermille int64
}

// DefaultPointsRule: 100 points a yuan, at most half the goods.
var DefaultPointsRule = PointsRule{PointsPerYuan: 100, MaxSharePermille: 500}

// PointsDeduction spends up to Requested points of a Balance. It never uses
// more points than the fen they buy need: the points used are the fewest
// that pay the deducted fen.
type PointsDeduction struct {
	Requested int64
	Balance   int64
	Rule      PointsRule
}

func (d PointsDeduction) Apply(p *Pricing) error {
	if d.Requested < 0 {
		return fault.New(fault.Invalid, ReasonPointsInvalid, "points to use cannot be negative")
	}
	if d.Requested == 0 {
		return nil
	}
	if d.Requested > d.Balance {
		return fault.New(fault.Precondition, ReasonPointsInsufficient, "not enough points", "available", itoa(d.Balance))
	}
	ppy := d.Rule.PointsPerYuan
	if ppy <= 0 || d.Rule.MaxSharePermille < 0 || d.Rule.MaxSharePermille > 1000 {
		return fault.New(fault.Invalid, ReasonArgumentInvalid, "points rule: a positive rate and a share within 0-1000 per mille")
	}
	base := p.LinesPayableFen()
	capFen, _ := money.MulDiv(base, d.Rule.MaxSharePermille, 1000)
	worth, _ := money.MulDiv(d.Requested, 100, ppy)
	fen := min(worth, capFen)
	fen = p.take(SourcePoints, fen, nil)
	// The fewest points whose worth is fen: ceil(fen*ppy/100).
	q, r := money.MulDiv(fen, ppy, 100)
	if r > 0 {
		q++
	}
	p.PointsUsed = q
	return nil
}

// ShippingRule prices delivery.
type ShippingRule struct {
	// FreeOverFen: merchandise at or above it ships free; 0 turns it off.
	FreeOverFen int64
	// DefaultFeeFen applies to regions without their own fee.
	DefaultFeeFen int64
	// RegionFeeFen by province (e.g. "新疆维吾尔自治区").
	RegionFeeFen map[string]int64
}

// DefaultShippingRule: 10 yuan, free from 99 yuan.
var DefaultShippingRule = ShippingRule{FreeOverFen: 9900, DefaultFeeFen: 1000}

// Shipping sets the fee for the order's region.
type Shipping struct{ Rule ShippingRule }

func (s Shipping) Apply(p *Pricing) error {
	var merch int64
	for _, l := range p.Lines {
		merch += l.PayableFen + l.Discounts[SourcePoints]
	}
	if s.Rule.FreeOverFen > 0 && merch >= s.Rule.FreeOverFen {
		p.ShippingFen = 0
		return nil
	}
	fee, ok := s.Rule.RegionFeeFen[p.Region]
	if !ok {
		fee = s.Rule.DefaultFeeFen
	}
	p.ShippingFen = max(fee, 0)
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
