package domain

import (
	"sort"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/money"
)

// CouponStatus is where a member's coupon is.
type CouponStatus string

const (
	CouponUnused  CouponStatus = "UNUSED"
	CouponLocked  CouponStatus = "LOCKED" // held by an order waiting for payment
	CouponUsed    CouponStatus = "USED"
	CouponExpired CouponStatus = "EXPIRED"
)

// Coupon is one coupon a member holds.
type Coupon struct {
	ID, TemplateID, MemberID string
	Status                   CouponStatus
	ValidFrom, ValidTo       time.Time
	// OrderID is the order that locked or used it.
	OrderID   string
	ClaimedAt time.Time
}

// Claim makes a coupon of t for a member at now, valid for the template's
// fixed period or ValidDays from now.
func (t Template) Claim(id, memberID string, now time.Time) Coupon {
	c := Coupon{ID: id, TemplateID: t.ID, MemberID: memberID, Status: CouponUnused, ClaimedAt: now, ValidFrom: t.ValidFrom, ValidTo: t.ValidTo}
	if t.ValidDays > 0 {
		c.ValidFrom, c.ValidTo = now, now.AddDate(0, 0, t.ValidDays)
	}
	return c
}

// Usable reports whether the coupon can go on an order at now.
func (c Coupon) Usable(now time.Time) error {
	switch {
	case c.Status != CouponUnused:
		return fault.New(fault.Precondition, ReasonCouponState, "the coupon is "+string(c.Status), "coupon_id", c.ID)
	case now.Before(c.ValidFrom):
		return fault.New(fault.Precondition, ReasonCouponNotStarted, "the coupon is not valid yet", "coupon_id", c.ID)
	case !now.Before(c.ValidTo):
		return fault.New(fault.Precondition, ReasonCouponExpired, "the coupon expired", "coupon_id", c.ID)
	}
	return nil
}

// Lock holds the coupon for an order; locking it again for the same order
// is a no-op (changed false).
func (c *Coupon) Lock(orderID string, now time.Time) (changed bool, err error) {
	if c.Status == CouponLocked && c.OrderID == orderID {
		return false, nil
	}
	if err := c.Usable(now); err != nil {
		return false, err
	}
	c.Status, c.OrderID = CouponLocked, orderID
	return true, nil
}

// Use spends a coupon the order locked (the order was paid); a repeat is a
// no-op.
func (c *Coupon) Use(orderID string) (changed bool, err error) {
	switch {
	case c.Status == CouponUsed && c.OrderID == orderID:
		return false, nil
	case c.Status != CouponLocked || c.OrderID != orderID:
		return false, fault.New(fault.Precondition, ReasonCouponState, "the coupon is not locked by this order", "coupon_id", c.ID, "order_id", orderID)
	}
	c.Status = CouponUsed
	return true, nil
}

// Release gives a coupon locked by the order back (the order was cancelled
// or never placed); it expires instead when its time is over. A coupon the
// order does not hold is left alone.
func (c *Coupon) Release(orderID string, now time.Time) (changed bool) {
	if c.Status != CouponLocked || c.OrderID != orderID {
		return false
	}
	c.Status, c.OrderID = CouponUnused, ""
	if !now.Before(c.ValidTo) {
		c.Status = CouponExpired
	}
	return true
}

// Expire ends an unused coupon whose time is over.
func (c *Coupon) Expire(now time.Time) (changed bool) {
	if c.Status != CouponUnused || now.Before(c.ValidTo) {
		return false
	}
	c.Status = CouponExpired
	return true
}

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
	sort.SliceStable(stack, func(a, b int) bool {
		pa, pb := stack[a].Template.Kind == PercentOff, stack[b].Template.Kind == PercentOff
		if pa != pb {
			return pa
		}
		return stack[a].Coupon.ValidTo.Before(stack[b].Coupon.ValidTo)
	})
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
		for i, share := range money.Allocate(off, weights) {
			left[i] -= share
			c.LineOff[lines[i].LineID] += share
		}
		c.OffFen += off
		c.CouponIDs = append(c.CouponIDs, h.Coupon.ID)
	}
	return c
}
