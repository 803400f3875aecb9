package domain

import (
	"slices"
	"sort"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/money"
)

// Held is a member's coupon with its template, as checkout weighs them.
type Held struct {
	Coupon   Coupon
	Template Template
}

// Choice is the coupons an order uses and what they take off each line.
type Choice struct {
	CouponIDs []string
	OffFen    int64
	// LineOff is the discount by line id, adding up to OffFen.
	LineOff map[string]int64
	// Applied is what each coupon takes, in the order they apply.
	Applied []Applied
}

// Applied is one coupon of a choice, or one discount: what it takes off
// and the lines it covers.
type Applied struct {
	// ID is the coupon's (or the discount's) id.
	ID      string
	OffFen  int64
	LineIDs []string
}

// maxExhaustive bounds the stackable coupons weighed in every combination
// (2^n); with more, only the ones taking most off on their own are weighed.
const maxExhaustive = 10

// Best picks the coupons that take the most off the lines at now: the best
// coupon that is not stackable on its own, or the best combination of
// stackable ones. In a combination percentages apply first, and each
// coupon after the first applies to what the ones before left of its
// lines, so a combination never takes off more than the lines come to.
// Ties go to fewer coupons, then to earlier expiry.
func Best(held []Held, lines []Line, now time.Time) Choice {
	var alone, stack []Held
	for _, h := range held {
		if h.Coupon.Usable(now) != nil || h.Template.Check(lines) != nil {
			continue
		}
		if h.Template.Stackable {
			stack = append(stack, h)
		} else {
			alone = append(alone, h)
		}
	}
	// Percentages first (they take most from the whole amount), then sooner
	// expiry, which wins ties.
	sort.SliceStable(stack, func(a, b int) bool { return before(stack[a], stack[b]) })
	sort.SliceStable(alone, func(a, b int) bool { return alone[a].Coupon.ValidTo.Before(alone[b].Coupon.ValidTo) })

	best := Choice{LineOff: map[string]int64{}}
	consider := func(combo []Held) {
		c := apply(combo, lines)
		if c.OffFen > best.OffFen || (c.OffFen == best.OffFen && c.OffFen > 0 && len(c.CouponIDs) < len(best.CouponIDs)) {
			best = c
		}
	}
	for _, h := range alone {
		consider([]Held{h})
	}
	if len(stack) > maxExhaustive {
		sort.SliceStable(stack, func(a, b int) bool {
			return stack[a].Template.Off(stack[a].Template.Eligible(lines)) > stack[b].Template.Off(stack[b].Template.Eligible(lines))
		})
		stack = stack[:maxExhaustive]
		sort.SliceStable(stack, func(a, b int) bool { return before(stack[a], stack[b]) })
	}
	for mask := 1; mask < 1<<len(stack); mask++ {
		var combo []Held
		for i := range stack {
			if mask&(1<<i) != 0 {
				combo = append(combo, stack[i])
			}
		}
		consider(combo)
	}
	return best
}

// apply takes a combination's discounts off the lines one coupon after the
// other, each split across its covered lines in proportion to what is left
// of them (fen-exact). Thresholds were met on the lines as they came (Best
// checks them): as in the mall's own rule, a second coupon is not refused
// because the first one brought the total under its threshold.
func apply(combo []Held, lines []Line) Choice {
	left := make([]int64, len(lines))
	for i, l := range lines {
		left[i] = l.PayableFen
	}
	c := Choice{LineOff: map[string]int64{}}
	for _, h := range combo {
		weights := make([]int64, len(lines))
		var eligible int64
		for i, l := range lines {
			if h.Template.Scope.covers(l) {
				weights[i] = left[i]
				eligible += left[i]
			}
		}
		off := h.Template.take(eligible)
		if off <= 0 {
			continue
		}
		a := Applied{ID: h.Coupon.ID, OffFen: off}
		for i, share := range money.Allocate(off, weights) {
			left[i] -= share
			c.LineOff[lines[i].LineID] += share
			if weights[i] > 0 {
				a.LineIDs = append(a.LineIDs, lines[i].LineID)
			}
		}
		c.Applied = append(c.Applied, a)
		c.OffFen += off
		c.CouponIDs = append(c.CouponIDs, h.Coupon.ID)
	}
	return c
}

// Choose prices the coupons the shopper picked: each must be usable and
// apply to the lines, and a coupon that does not stack is used alone. They
// apply in Best's order (percentages first, then sooner expiry).
func Choose(picked []Held, lines []Line, now time.Time) (Choice, error) {
	for _, h := range picked {
		if err := h.Coupon.Usable(now); err != nil {
			return Choice{}, err
		}
		if err := h.Template.Check(lines); err != nil {
			return Choice{}, err
		}
		if !h.Template.Stackable && len(picked) > 1 {
			return Choice{}, fault.New(fault.Precondition, ReasonNotStackable, "this coupon cannot be combined with others", "coupon_id", h.Coupon.ID)
		}
	}
	ordered := slices.Clone(picked)
	sort.SliceStable(ordered, func(a, b int) bool { return before(ordered[a], ordered[b]) })
	return apply(ordered, lines), nil
}

// before is the order coupons of a combination apply in: percentages
// first (they take most from the whole amount), then sooner expiry.
func before(a, b Held) bool {
	pa, pb := a.Template.Kind == PercentOff, b.Template.Kind == PercentOff
	if pa != pb {
		return pa
	}
	return a.Coupon.ValidTo.Before(b.Coupon.ValidTo)
}
