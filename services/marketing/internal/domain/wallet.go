package domain

import (
	"strconv"
	"strings"
	"time"

	"siyu.dev/pkg/fault"
)

// Wallet is every coupon a member holds, in one document keyed by the
// member id: claims check the per-member limit, and orders lock, use and
// release their coupons, each in one compare-and-set of one document.
// Coupon ids are "<member id>-c<n>", so an id leads to its wallet.
type Wallet struct {
	MemberID string
	Coupons  []Coupon
	// Grants maps what gave a coupon (a claim's request id, an issue's
	// request id, a code, the new-member gift) to the coupon id, so a
	// repeat gives nothing twice.
	Grants  map[string]string
	Seq     int64
	Version int64
}

// Grant keys, by where a coupon came from.
func ClaimKey(templateID, requestID string) string { return "claim:" + templateID + ":" + requestID }
func IssueKey(templateID, requestID string) string { return "issue:" + templateID + ":" + requestID }
func CodeKey(code string) string                   { return "code:" + code }
func GiftKey(templateID string) string             { return "gift:" + templateID }

// maxKept bounds a wallet: past it, the oldest used and expired coupons
// go first (what counts toward per-member limits stays in Grants' count).
const maxKept = 500

// WalletOf returns the wallet id of a coupon id.
func WalletOf(couponID string) (memberID string, ok bool) {
	i := strings.LastIndex(couponID, "-c")
	if i <= 0 {
		return "", false
	}
	if _, err := strconv.ParseInt(couponID[i+2:], 10, 64); err != nil {
		return "", false
	}
	return couponID[:i], true
}

// Given returns the coupon a grant key gave, if any.
func (w *Wallet) Given(key string) (Coupon, bool) {
	id, ok := w.Grants[key]
	if !ok {
		return Coupon{}, false
	}
	c, found := w.Coupon(id)
	if !found {
		// Pruned long ago: the grant still happened.
		return Coupon{ID: id, MemberID: w.MemberID}, true
	}
	return *c, true
}

// Holding counts the coupons of a template the member was ever given that
// are still in the wallet.
func (w *Wallet) Holding(templateID string) int64 {
	var n int64
	for _, c := range w.Coupons {
		if c.TemplateID == templateID {
			n++
		}
	}
	return n
}

// Grant gives the member a coupon of t under key at now. The member's
// per-member limit counts every coupon of the template they hold, used or
// not; ok is false when the key gave one before (that one is returned).
func (w *Wallet) Grant(key string, t Template, now time.Time) (c Coupon, fresh bool, err error) {
	if prev, ok := w.Given(key); ok {
		return prev, false, nil
	}
	if w.Holding(t.ID) >= t.PerMemberLimit {
		return Coupon{}, false, fault.New(fault.Precondition, ReasonLimitReached, "you hold as many of this coupon as a member may",
			"template_id", t.ID, "limit", strconv.FormatInt(t.PerMemberLimit, 10))
	}
	w.Seq++
	c = t.Claim(w.MemberID+"-c"+strconv.FormatInt(w.Seq, 10), w.MemberID, now)
	w.Coupons = append(w.Coupons, c)
	if w.Grants == nil {
		w.Grants = map[string]string{}
	}
	w.Grants[key] = c.ID
	w.prune()
	return c, true, nil
}

// prune drops the oldest finished coupons past maxKept.
func (w *Wallet) prune() {
	for len(w.Coupons) > maxKept {
		i := -1
		for j, c := range w.Coupons {
			if c.Status == CouponUsed || c.Status == CouponExpired {
				i = j
				break
			}
		}
		if i < 0 {
			return
		}
		w.Coupons = append(w.Coupons[:i], w.Coupons[i+1:]...)
	}
}

// Coupon finds a coupon of the wallet.
func (w *Wallet) Coupon(id string) (*Coupon, bool) {
	for i := range w.Coupons {
		if w.Coupons[i].ID == id {
			return &w.Coupons[i], true
		}
	}
	return nil, false
}

// Pick returns the named coupons; an id not in the wallet is
// COUPON_NOT_FOUND.
func (w *Wallet) Pick(ids []string) ([]Coupon, error) {
	out := make([]Coupon, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		c, ok := w.Coupon(id)
		if !ok {
			return nil, fault.New(fault.NotFound, ReasonCouponNotFound, "no such coupon", "coupon_id", id)
		}
		if seen[id] {
			return nil, fault.New(fault.Invalid, ReasonArgumentInvalid, "a coupon is named twice", "coupon_id", id)
		}
		seen[id] = true
		out = append(out, *c)
	}
	return out, nil
}

// Lock holds the named coupons for an order, all or none; repeating it for
// the same order changes nothing.
func (w *Wallet) Lock(orderID string, ids []string, now time.Time) (changed bool, err error) {
	if _, err := w.Pick(ids); err != nil {
		return false, err
	}
	next := make([]Coupon, len(w.Coupons))
	copy(next, w.Coupons)
	for _, id := range ids {
		for i := range next {
			if next[i].ID != id {
				continue
			}
			ch, err := next[i].Lock(orderID, now)
			if err != nil {
				return false, err
			}
			changed = changed || ch
		}
	}
	w.Coupons = next
	return changed, nil
}

// each applies f to every coupon and reports whether any changed.
func (w *Wallet) each(f func(c *Coupon) bool) (changed bool) {
	for i := range w.Coupons {
		if f(&w.Coupons[i]) {
			changed = true
		}
	}
	return changed
}

// Release gives back what the order locked.
func (w *Wallet) Release(orderID string, now time.Time) bool {
	return w.each(func(c *Coupon) bool { return c.Release(orderID, now) })
}

// Use spends what the order locked: it was paid. A coupon released
// meanwhile (the order was cancelled, then paid late and refunded by the
// order service) is left alone.
func (w *Wallet) Use(orderID string) bool {
	return w.each(func(c *Coupon) bool {
		if c.Status != CouponLocked || c.OrderID != orderID {
			return false
		}
		ch, _ := c.Use(orderID)
		return ch
	})
}

// Return gives back what the order used: it was refunded in full.
func (w *Wallet) Return(orderID string, now time.Time) bool {
	return w.each(func(c *Coupon) bool { return c.Return(orderID, now) })
}

// Expire ends the unused coupons whose time is over.
func (w *Wallet) Expire(now time.Time) bool {
	return w.each(func(c *Coupon) bool { return c.Expire(now) })
}

// Expiring returns the unused coupons that end within before of now and
// were not reminded of, marking them reminded.
func (w *Wallet) Expiring(now time.Time, before time.Duration) []Coupon {
	var out []Coupon
	for i := range w.Coupons {
		c := &w.Coupons[i]
		if c.Status == CouponUnused && !c.Reminded && now.Before(c.ValidTo) && !now.Add(before).Before(c.ValidTo) {
			c.Reminded = true
			out = append(out, *c)
		}
	}
	return out
}

// NextDue is when the wallet next needs the sweeper: the soonest reminder
// or expiry of an unused coupon; zero when none.
func (w *Wallet) NextDue(before time.Duration) time.Time {
	var due time.Time
	for _, c := range w.Coupons {
		if c.Status != CouponUnused {
			continue
		}
		at := c.ValidTo
		if !c.Reminded {
			at = c.ValidTo.Add(-before)
		}
		if due.IsZero() || at.Before(due) {
			due = at
		}
	}
	return due
}
