package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Shanghai is the calendar points expire and members sign in by.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		// China has no daylight saving time: a fixed zone is exact.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// Entry kinds of the points ledger.
const (
	EntryEarn         = "earn"
	EntrySpend        = "spend"
	EntryFreeze       = "freeze"
	EntryConfirm      = "confirm"
	EntryRelease      = "release"
	EntryExpire       = "expire"
	EntryAdjust       = "adjust"
	EntryRefundEarned = "refund_earned"
	EntryRefundSpent  = "refund_spent"
)

// Hold states.
const (
	HoldFrozen    = "frozen"
	HoldConfirmed = "confirmed"
	HoldReleased  = "released"
)

// MaxPoints bounds a single change, so sums can never overflow.
const MaxPoints = 100_000_000

// Lot is points earned together that expire together.
type Lot struct {
	ID        string
	Source    string
	Points    int64
	Remaining int64
	EarnedAt  time.Time
	ExpiresAt time.Time
}

// Take records how many points a debit took from which lot, so a release or
// a refund can put them back where they came from.
type Take struct {
	Lot    string
	Points int64
}

// Debit is points taken out of the lots: a hold for an order (frozen, then
// confirmed or released) or an immediate spend (confirmed at once).
type Debit struct {
	Key      string
	Points   int64
	State    string
	Takes    []Take
	Refunded int64
	At       time.Time
}

// OrderCredit remembers what a paid order earned, so refunds can take a
// proportional share back.
type OrderCredit struct {
	OrderID        string
	PaidFen        int64
	RefundedFen    int64
	Points         int64
	PointsReversed int64
	Growth         int64
	GrowthReversed int64
}

// Entry is one line of the ledger.
type Entry struct {
	Seq         int64
	Kind        string
	Delta       int64
	FrozenDelta int64
	Available   int64
	Frozen      int64
	Reason      string
	Source      string
	Operator    string
	At          time.Time
}

// SignInState is a member's check-in record.
type SignInState struct {
	LastDay    string
	Streak     int
	LastPoints int64
	// Days holds the recent days signed in (YYYY-MM-DD), enough for a calendar month.
	Days []string
}

// Account is a member's loyalty document: points lots, holds, the ledger,
// the source ids already applied (idempotency), sign-in and growth. Keeping
// all of it in one document makes every change one atomic write.
type Account struct {
	MemberID string
	Version  int64
	Lots     []Lot
	Debits   []Debit
	Orders   []OrderCredit
	Sources  []string
	Entries  []Entry
	SignIn   SignInState
	Growth   int64
	TierID   string
	// LifetimeEarned counts every point ever credited.
	LifetimeEarned int64
	// LotSeq numbers lots.
	LotSeq int64
	// RemindedExpiry is the expiry the member was last told is coming.
	RemindedExpiry time.Time
	// Facts and Tags serve tag rules and segments.
	Facts Facts
	Tags  []TagMark
	// TagEvents collects the manual tag changes of the current change, to
	// publish with it; it is not stored.
	TagEvents []TagChange

	seenSources map[string]bool
}

// Available is the points the member can use: the sum of the lots.
func (a *Account) Available() int64 {
	var n int64
	for _, l := range a.Lots {
		n += l.Remaining
	}
	return n
}

// Frozen is the points held for unpaid orders.
func (a *Account) Frozen() int64 {
	var n int64
	for _, d := range a.Debits {
		if d.State == HoldFrozen {
			n += d.Points
		}
	}
	return n
}

// NextExpiry is when the next lot with points left expires (zero if none)
// and how many points go then.
func (a *Account) NextExpiry() (time.Time, int64) {
	var at time.Time
	var pts int64
	for _, l := range a.Lots {
		if l.Remaining == 0 {
			continue
		}
		switch {
		case at.IsZero() || l.ExpiresAt.Before(at):
			at, pts = l.ExpiresAt, l.Remaining
		case l.ExpiresAt.Equal(at):
			pts += l.Remaining
		}
	}
	return at, pts
}

// ExpiryReminderBefore is how long before points expire the member is
// told (points expire at the end of a calendar year: early December).
const ExpiryReminderBefore = 30 * 24 * time.Hour

// Expiring is points about to expire, once per expiry.
type Expiring struct {
	Points int64
	At     time.Time
}

// RemindExpiry returns the points that expire within ExpiryReminderBefore
// of now, once per expiry date; nil when there is nothing new to tell.
func (a *Account) RemindExpiry(now time.Time) *Expiring {
	at, pts := a.NextExpiry()
	if pts == 0 || at.Equal(a.RemindedExpiry) || now.Before(at.Add(-ExpiryReminderBefore)) || !now.Before(at) {
		return nil
	}
	a.RemindedExpiry = at
	return &Expiring{Points: pts, At: at}
}

// NextDue is when the account next needs the sweeper: the reminder of the
// next expiry, then the expiry itself; zero when no points are left.
func (a *Account) NextDue() time.Time {
	at, pts := a.NextExpiry()
	if pts == 0 {
		return time.Time{}
	}
	if remind := at.Add(-ExpiryReminderBefore); !at.Equal(a.RemindedExpiry) {
		return remind
	}
	return at
}

// HasSource reports whether a change with this source id was applied.
func (a *Account) HasSource(src string) bool {
	if a.seenSources == nil {
		a.seenSources = make(map[string]bool, len(a.Sources))
		for _, s := range a.Sources {
			a.seenSources[s] = true
		}
	}
	return a.seenSources[src]
}

func (a *Account) markSource(src string) {
	a.HasSource(src)
	a.seenSources[src] = true
	a.Sources = append(a.Sources, src)
}

// Debit finds the debit with key.
func (a *Account) Debit(key string) (*Debit, bool) {
	for i := range a.Debits {
		if a.Debits[i].Key == key {
			return &a.Debits[i], true
		}
	}
	return nil, false
}

func (a *Account) order(id string) *OrderCredit {
	for i := range a.Orders {
		if a.Orders[i].OrderID == id {
			return &a.Orders[i]
		}
	}
	return nil
}

func (a *Account) record(now time.Time, kind string, delta, frozenDelta int64, reason, source, operator string) Entry {
	e := Entry{Seq: int64(len(a.Entries)) + 1, Kind: kind, Delta: delta, FrozenDelta: frozenDelta,
		Available: a.Available(), Frozen: a.Frozen(), Reason: reason, Source: source, Operator: operator, At: now}
	if n := len(a.Entries); n > 0 {
		e.Seq = a.Entries[n-1].Seq + 1
	}
	a.Entries = append(a.Entries, e)
	return e
}

// ExpiryFor is when points earned at t expire: the end of the calendar year
// `years` after t's year, in Asia/Shanghai.
func ExpiryFor(t time.Time, years int) time.Time {
	y := t.In(Shanghai).Year() + years + 1
	return time.Date(y, time.January, 1, 0, 0, 0, 0, Shanghai).UTC()
}

func validPoints(p int64) error {
	if p <= 0 || p > MaxPoints {
		return ErrPointsInvalid
	}
	return nil
}

// Earn credits a new lot. A source already applied changes nothing and
// reports applied=false.
func (a *Account) Earn(now time.Time, source string, points int64, expires time.Time, kind, reason, operator string) (applied bool, err error) {
	if source == "" {
		return false, ErrPointsSourceRequired
	}
	if err := validPoints(points); err != nil {
		return false, err
	}
	if a.HasSource(source) {
		return false, nil
	}
	a.markSource(source)
	a.addLot(now, source, points, expires)
	a.record(now, kind, points, 0, reason, source, operator)
	return true, nil
}

func (a *Account) addLot(now time.Time, source string, points int64, expires time.Time) {
	a.LotSeq++
	a.Lots = append(a.Lots, Lot{ID: fmt.Sprintf("L%d", a.LotSeq), Source: source, Points: points, Remaining: points, EarnedAt: now, ExpiresAt: expires})
	a.LifetimeEarned += points
}

// take removes points from the lots that expire first (then the oldest);
// the caller has checked the balance.
func (a *Account) take(points int64, prefer string) []Take {
	idx := make([]int, 0, len(a.Lots))
	for i := range a.Lots {
		if a.Lots[i].Remaining > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(x, y int) bool {
		lx, ly := a.Lots[idx[x]], a.Lots[idx[y]]
		if prefer != "" && (lx.Source == prefer) != (ly.Source == prefer) {
			return lx.Source == prefer
		}
		if !lx.ExpiresAt.Equal(ly.ExpiresAt) {
			return lx.ExpiresAt.Before(ly.ExpiresAt)
		}
		return lx.EarnedAt.Before(ly.EarnedAt)
	})
	var takes []Take
	for _, i := range idx {
		if points == 0 {
			break
		}
		n := min(points, a.Lots[i].Remaining)
		a.Lots[i].Remaining -= n
		points -= n
		takes = append(takes, Take{Lot: a.Lots[i].ID, Points: n})
	}
	return takes
}

// giveBack returns points to the lots of takes, newest take first; points
// returned to a lot that has since expired are expired by the next Expire.
func (a *Account) giveBack(takes []Take, points int64) {
	for i := len(takes) - 1; i >= 0 && points > 0; i-- {
		n := min(points, takes[i].Points)
		for j := range a.Lots {
			if a.Lots[j].ID == takes[i].Lot {
				a.Lots[j].Remaining += n
				break
			}
		}
		points -= n
	}
}

// Freeze holds points for an order. Repeating it with the same amount is a
// no-op (applied=false); another amount is ErrHoldMismatch.
func (a *Account) Freeze(now time.Time, orderID string, points int64) (d Debit, applied bool, err error) {
	if orderID == "" {
		return Debit{}, false, ErrOrderIDRequired
	}
	if err := validPoints(points); err != nil {
		return Debit{}, false, err
	}
	if prev, ok := a.Debit(orderID); ok {
		if prev.Points != points {
			return Debit{}, false, ErrHoldMismatch
		}
		return *prev, false, nil
	}
	if a.Available() < points {
		return Debit{}, false, ErrPointsInsufficient
	}
	d = Debit{Key: orderID, Points: points, State: HoldFrozen, Takes: a.take(points, ""), At: now}
	a.Debits = append(a.Debits, d)
	a.record(now, EntryFreeze, -points, points, "order checkout", orderID, "")
	return d, true, nil
}

// Confirm spends a frozen hold. Confirming twice is a no-op.
func (a *Account) Confirm(now time.Time, orderID string) (Debit, bool, error) {
	d, ok := a.Debit(orderID)
	if !ok {
		return Debit{}, false, ErrHoldNotFound
	}
	switch d.State {
	case HoldConfirmed:
		return *d, false, nil
	case HoldReleased:
		return Debit{}, false, ErrHoldReleased
	}
	d.State = HoldConfirmed
	out := *d
	a.record(now, EntryConfirm, 0, -out.Points, "order paid", orderID, "")
	return out, true, nil
}

// Release returns a frozen hold to its lots. Releasing twice is a no-op.
func (a *Account) Release(now time.Time, orderID string) (Debit, bool, error) {
	d, ok := a.Debit(orderID)
	if !ok {
		return Debit{}, false, ErrHoldNotFound
	}
	switch d.State {
	case HoldReleased:
		return *d, false, nil
	case HoldConfirmed:
		return Debit{}, false, ErrHoldConfirmed
	}
	d.State = HoldReleased
	a.giveBack(d.Takes, d.Points)
	out := *d
	a.record(now, EntryRelease, out.Points, -out.Points, "order cancelled", orderID, "")
	return out, true, nil
}

// Spend takes points at once, idempotent by source.
func (a *Account) Spend(now time.Time, source string, points int64, kind, reason, operator string) (bool, error) {
	if source == "" {
		return false, ErrPointsSourceRequired
	}
	if err := validPoints(points); err != nil {
		return false, err
	}
	if a.HasSource(source) {
		return false, nil
	}
	if a.Available() < points {
		return false, ErrPointsInsufficient
	}
	a.markSource(source)
	// Spends are keyed apart from order holds, which use bare order ids.
	a.Debits = append(a.Debits, Debit{Key: "spend:" + source, Points: points, State: HoldConfirmed, Takes: a.take(points, ""), At: now})
	a.record(now, kind, -points, 0, reason, source, operator)
	return true, nil
}

// Expire empties every lot whose expiry has come, one entry per lot.
func (a *Account) Expire(now time.Time) []Entry {
	var out []Entry
	for i := range a.Lots {
		l := &a.Lots[i]
		if l.Remaining > 0 && !now.Before(l.ExpiresAt) {
			n := l.Remaining
			l.Remaining = 0
			out = append(out, a.record(now, EntryExpire, -n, 0, "points expired", l.Source, ""))
		}
	}
	a.prune()
	return out
}

// prune drops empty lots nothing can give points back to (a frozen hold
// when released, an order's spend when refunded): the document stays small
// however long the member stays.
func (a *Account) prune() {
	live := map[string]bool{}
	for _, d := range a.Debits {
		order := !strings.HasPrefix(d.Key, "spend:")
		if d.State == HoldFrozen || (d.State == HoldConfirmed && order && d.Refunded < d.Points) {
			for _, t := range d.Takes {
				live[t.Lot] = true
			}
		}
	}
	kept := a.Lots[:0]
	for _, l := range a.Lots {
		if l.Remaining > 0 || live[l.ID] {
			kept = append(kept, l)
		}
	}
	a.Lots = kept
}

// Adjust is an operator's grant (positive) or deduction (negative). A
// deduction larger than the available points is ErrPointsInsufficient.
func (a *Account) Adjust(now time.Time, requestID string, points int64, expires time.Time, reason, operator string) (bool, error) {
	if requestID == "" {
		return false, ErrRequestIDRequired
	}
	if reason == "" || len(reason) > 200 {
		return false, ErrReasonRequired
	}
	if operator == "" {
		return false, ErrOperatorRequired
	}
	src := "adjust:" + requestID
	if points > 0 {
		return a.Earn(now, src, points, expires, EntryAdjust, reason, operator)
	}
	if points == 0 {
		return false, ErrPointsInvalid
	}
	return a.Spend(now, src, -points, EntryAdjust, reason, operator)
}

// PaidOrder credits the points and growth of a paid order once, and
// confirms the order's hold if the order service has not yet.
func (a *Account) PaidOrder(now time.Time, orderID string, paidFen, points, growth int64, expires time.Time) (bool, error) {
	if orderID == "" {
		return false, ErrOrderIDRequired
	}
	if paidFen < 0 || points < 0 || growth < 0 {
		return false, ErrPointsInvalid
	}
	src := "paid:" + orderID
	if a.HasSource(src) {
		return false, nil
	}
	if d, ok := a.Debit(orderID); ok && d.State == HoldFrozen {
		if _, _, err := a.Confirm(now, orderID); err != nil {
			return false, err
		}
	}
	a.markSource(src)
	o := a.order(orderID)
	if o == nil {
		a.Orders = append(a.Orders, OrderCredit{OrderID: orderID})
		o = &a.Orders[len(a.Orders)-1]
	}
	o.PaidFen, o.Points, o.Growth = paidFen, points, growth
	if points > 0 {
		lotSrc := "order:" + orderID
		a.addLot(now, lotSrc, points, expires)
		a.record(now, EntryEarn, points, 0, "order paid", lotSrc, "")
	}
	a.Growth += growth
	// A refund that arrived before this payment (events redelivered out of
	// order) is applied to what the payment just earned.
	if o.RefundedFen > 0 {
		a.reverseEarned(now, o, "paid:"+orderID)
	}
	return true, nil
}

// share is the part of total that a refunded amount of paid stands for,
// computed on the cumulative refund so that partial refunds add up exactly.
func share(total, refundedFen, paidFen int64) int64 {
	if paidFen <= 0 || refundedFen >= paidFen {
		return total
	}
	// Points and fen stay far below 2^31 in practice; the product fits int64.
	return total * refundedFen / paidFen
}

// RefundOrder takes back the earned points and growth of an order and gives
// back the points spent on it, in proportion to the money refunded (on the
// cumulative amount, so partial refunds add up to a full one). Earned points
// the member already used are taken from other lots; whatever the balance
// cannot cover is forgiven, since the balance never goes negative. Idempotent
// by refund id.
func (a *Account) RefundOrder(now time.Time, orderID, refundID string, refundFen, paidFen int64) (bool, error) {
	if orderID == "" || refundID == "" {
		return false, ErrOrderIDRequired
	}
	if refundFen <= 0 || paidFen <= 0 {
		return false, ErrRefundInvalid
	}
	src := "refund:" + refundID
	if a.HasSource(src) {
		return false, nil
	}
	a.markSource(src)
	o := a.order(orderID)
	if o == nil {
		// A refund seen before its payment (or of an order paid before this
		// ledger existed): nothing was earned, spent points may still return.
		a.Orders = append(a.Orders, OrderCredit{OrderID: orderID, PaidFen: paidFen})
		o = &a.Orders[len(a.Orders)-1]
	}
	if o.PaidFen == 0 {
		o.PaidFen = paidFen
	}
	o.RefundedFen = min(o.RefundedFen+refundFen, o.PaidFen)

	a.reverseEarned(now, o, src)
	if d, ok := a.Debit(orderID); ok && d.State == HoldConfirmed {
		if back := share(d.Points, o.RefundedFen, o.PaidFen) - d.Refunded; back > 0 {
			d.Refunded += back
			a.giveBack(d.Takes, back)
			a.record(now, EntryRefundSpent, back, 0, "order refunded", src, "")
		}
	}
	return true, nil
}

// reverseEarned takes back the share of o's earned points and growth that
// its refunds so far stand for and that was not taken back yet; src names
// the change in the ledger.
func (a *Account) reverseEarned(now time.Time, o *OrderCredit, src string) {
	if due := share(o.Points, o.RefundedFen, o.PaidFen) - o.PointsReversed; due > 0 {
		n := min(due, a.Available())
		o.PointsReversed += due
		if n > 0 {
			// The order's own lot goes first; then the ones expiring first.
			a.Debits = append(a.Debits, Debit{Key: "spend:" + src, Points: n, State: HoldConfirmed, Takes: a.take(n, "order:"+o.OrderID), At: now})
			a.record(now, EntryRefundEarned, -n, 0, "order refunded", src, "")
		}
	}
	if g := share(o.Growth, o.RefundedFen, o.PaidFen) - o.GrowthReversed; g > 0 {
		o.GrowthReversed += g
		a.Growth = max(a.Growth-g, 0)
	}
}

// EarnedFor is what paying paidFen earns at a rate in thousandths per yuan.
func EarnedFor(paidFen, permillePerYuan int64) int64 {
	if paidFen <= 0 || permillePerYuan <= 0 {
		return 0
	}
	return paidFen * permillePerYuan / 100_000
}
