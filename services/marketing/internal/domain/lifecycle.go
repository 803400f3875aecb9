package domain

import (
	"time"

	"siyu.dev/pkg/fault"
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
	// Rule is the template as it was when the coupon was given: later
	// edits of the template do not change coupons already held.
	Rule Template
	// Reminded: the "about to expire" event went out.
	Reminded bool
}

// Held pairs the coupon with its rule, as Best weighs it.
func (c Coupon) Held() Held { return Held{Coupon: c, Template: c.Rule} }

// Claim makes a coupon of t for a member at now, valid for the template's
// fixed period or ValidDays from now.
func (t Template) Claim(id, memberID string, now time.Time) Coupon {
	c := Coupon{ID: id, TemplateID: t.ID, MemberID: memberID, Status: CouponUnused, ClaimedAt: now, ValidFrom: t.ValidFrom, ValidTo: t.ValidTo, Rule: t}
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

// Return gives back a coupon the order used, after the order was refunded
// in full: unused again, or expired when its time is over.
func (c *Coupon) Return(orderID string, now time.Time) (changed bool) {
	if c.Status != CouponUsed || c.OrderID != orderID {
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
