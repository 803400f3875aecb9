package domain

import (
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/money"
)

// DiscountType is what a discount activity does.
type DiscountType string

const (
	// TimedPrice (限时折扣) sells listed SKUs at a lower price for a while.
	TimedPrice DiscountType = "TIMED_PRICE"
	// FullReduction (满减) takes a tier's amount off lines in scope that
	// reach the tier's threshold.
	FullReduction DiscountType = "FULL_REDUCTION"
)

// Promotion kinds of discounts at checkout.
const (
	KindTimedPrice    PromotionKind = "timed_price"
	KindFullReduction PromotionKind = "full_reduction"
)

// SKUPrice is a timed price of one SKU.
type SKUPrice struct {
	SKUID    string
	PriceFen int64
}

// Tier is a full-reduction step: OffFen off at ThresholdFen.
type Tier struct {
	ThresholdFen, OffFen int64
}

// Discount is a discount activity: applied at checkout to every order it
// covers while it runs, without anything to claim.
type Discount struct {
	ID, Name   string
	Type       DiscountType
	Prices     []SKUPrice
	Tiers      []Tier
	Scope      Scope
	Start, End time.Time
	Ended      bool
	Version    int64
	CreatedAt  time.Time
}

// Bounds of a discount.
const (
	maxDiscountSKUs = 200
	maxTiers        = 5
	maxDiscountSpan = 366 * 24 * time.Hour
	// MaxScheduledDiscounts bounds the discounts not yet over: each running
	// one is weighed on every checkout.
	MaxScheduledDiscounts = 50
)

// Validate checks a discount before it is saved.
func (d Discount) Validate() error {
	switch {
	case strings.TrimSpace(d.Name) == "" || utf8.RuneCountInString(d.Name) > maxNameRunes:
		return activityInvalid("name", "a name of at most 64 characters is required")
	case d.Start.IsZero() || d.End.IsZero() || !d.Start.Before(d.End):
		return activityInvalid("end_time", "a start before the end is required")
	case d.End.Sub(d.Start) > maxDiscountSpan:
		return activityInvalid("end_time", "a discount runs at most a year")
	}
	switch d.Type {
	case TimedPrice:
		if len(d.Prices) == 0 || len(d.Prices) > maxDiscountSKUs || len(d.Tiers) > 0 {
			return activityInvalid("prices", "a timed price lists 1 to 200 SKUs and no tiers")
		}
		seen := map[string]bool{}
		for _, p := range d.Prices {
			if p.SKUID == "" || seen[p.SKUID] || p.PriceFen <= 0 || p.PriceFen > maxAmountFen {
				return activityInvalid("prices", "each SKU once, at 1 fen to 1,000,000 yuan")
			}
			seen[p.SKUID] = true
		}
	case FullReduction:
		if len(d.Tiers) == 0 || len(d.Tiers) > maxTiers || len(d.Prices) > 0 {
			return activityInvalid("tiers", "a full reduction has 1 to 5 tiers and no SKU prices")
		}
		if len(d.Scope.CategoryIDs)+len(d.Scope.ProductIDs) > maxScopeIDs {
			return activityInvalid("scope", "a scope names at most 200 categories and products")
		}
		for i, t := range d.Tiers {
			if t.OffFen <= 0 || t.OffFen >= t.ThresholdFen || t.ThresholdFen > maxAmountFen {
				return activityInvalid("tiers", "each tier takes off less than its threshold")
			}
			if i > 0 && (t.ThresholdFen <= d.Tiers[i-1].ThresholdFen || t.OffFen <= d.Tiers[i-1].OffFen) {
				return activityInvalid("tiers", "tiers go up in both threshold and amount")
			}
		}
	default:
		return activityInvalid("type", "type is TIMED_PRICE or FULL_REDUCTION")
	}
	return nil
}

// Running reports whether the discount applies at now.
func (d Discount) Running(now time.Time) bool {
	return !d.Ended && !now.Before(d.Start) && now.Before(d.End)
}

// Summary is the rule in the mall's words.
func (d Discount) Summary() string {
	if d.Type == TimedPrice {
		return "限时折扣"
	}
	parts := make([]string, len(d.Tiers))
	for i, t := range d.Tiers {
		parts[i] = "满" + yuan(t.ThresholdFen) + "减" + yuan(t.OffFen)
	}
	return strings.Join(parts, "，")
}

// ApplyDiscounts prices the running discounts over lines, in the order of
// the stacking rules: timed prices first (a line already cheaper after the
// member level discount keeps its price: the lower of the two, never both),
// then each full reduction on what its lines still cost. It returns what
// each discount took and the lines as they are left for coupons; amounts
// are split over lines with money.Allocate by what each still costs, as
// the order service books them.
func ApplyDiscounts(running []Discount, lines []Line) ([]Applied, []Line) {
	left := slices.Clone(lines)
	var out []Applied
	sorted := slices.Clone(running)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Type == TimedPrice && sorted[b].Type != TimedPrice })
	for _, d := range sorted {
		switch d.Type {
		case TimedPrice:
			for i, l := range left {
				for _, p := range d.Prices {
					if p.SKUID != l.LineID {
						continue
					}
					if off := l.PayableFen - p.PriceFen*l.Quantity; off > 0 {
						left[i].PayableFen -= off
						out = append(out, Applied{ID: d.ID, OffFen: off, LineIDs: []string{l.LineID}})
					}
				}
			}
		case FullReduction:
			weights := make([]int64, len(left))
			var eligible int64
			for i, l := range left {
				if d.Scope.covers(l) {
					weights[i] = l.PayableFen
					eligible += l.PayableFen
				}
			}
			var off int64
			for _, t := range d.Tiers {
				if eligible >= t.ThresholdFen {
					off = t.OffFen
				}
			}
			if off == 0 {
				continue
			}
			a := Applied{ID: d.ID, OffFen: off}
			for i, share := range money.Allocate(off, weights) {
				left[i].PayableFen -= share
				if weights[i] > 0 {
					a.LineIDs = append(a.LineIDs, left[i].LineID)
				}
			}
			out = append(out, a)
		}
	}
	return out, left
}
