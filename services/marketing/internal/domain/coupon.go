// Package domain holds the marketing rules, starting with coupons: what a
// coupon template may say, which lines a coupon applies to, how much it
// takes off, which coupons combine, and a coupon's life from claim to use.
// It imports no gRPC, storage or NATS.
package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/money"
)

// DiscountKind is how a coupon takes money off.
type DiscountKind string

const (
	// AmountOff takes AmountOffFen off the lines it applies to.
	AmountOff DiscountKind = "AMOUNT_OFF"
	// PercentOff takes PercentOffPermille thousandths off, at most CapFen.
	PercentOff DiscountKind = "PERCENT_OFF"
)

// Scope is which lines a coupon applies to: all, or lines of the listed
// categories or products.
type Scope struct {
	CategoryIDs []string
	ProductIDs  []string
}

// All reports whether the scope is the whole cart.
func (s Scope) All() bool { return len(s.CategoryIDs) == 0 && len(s.ProductIDs) == 0 }

func (s Scope) covers(l Line) bool {
	return s.All() || slices.Contains(s.CategoryIDs, l.CategoryID) || slices.Contains(s.ProductIDs, l.ProductID)
}

// Template is a kind of coupon operators create; members hold coupons of it.
type Template struct {
	ID, Name string
	Kind     DiscountKind
	// AmountOffFen for AmountOff; PercentOffPermille and CapFen (0: no cap)
	// for PercentOff.
	AmountOffFen       int64
	PercentOffPermille int64
	CapFen             int64
	// ThresholdFen is the least the covered lines must come to.
	ThresholdFen int64
	Scope        Scope
	// Validity: fixed [ValidFrom, ValidTo), or ValidDays after the claim.
	ValidFrom, ValidTo time.Time
	ValidDays          int
	// Stackable coupons combine with other stackable coupons; one that is
	// not is used alone.
	Stackable bool
	// PerMemberLimit coupons of the template per member; TotalQuantity in all.
	PerMemberLimit, TotalQuantity int64
	// Claimable templates are in the coupon centre; NewMemberGift ones are
	// given to every member who registers.
	Claimable, NewMemberGift bool

	// Kept by the service: coupons issued so far (claims, issues, codes),
	// whether operators ended it, the version of its rules.
	Issued    int64
	Ended     bool
	Version   int64
	CreatedAt time.Time
}

// Open says why no more coupons of the template can be given at now, or nil.
func (t Template) Open(now time.Time) error {
	if t.Ended || (!t.ValidTo.IsZero() && !now.Before(t.ValidTo)) {
		return fault.New(fault.Precondition, ReasonTemplateEnded, "this coupon is no longer given out", "template_id", t.ID)
	}
	return nil
}

// Left is how many coupons of the template can still be given.
func (t Template) Left() int64 { return max(0, t.TotalQuantity-t.Issued) }

// Summary is the rule in the mall's words: "满200减20", "8.5折 最多减30",
// "无门槛减5".
func (t Template) Summary() string {
	var b strings.Builder
	if t.ThresholdFen > 0 {
		b.WriteString("满" + yuan(t.ThresholdFen))
	} else {
		b.WriteString("无门槛")
	}
	switch t.Kind {
	case AmountOff:
		b.WriteString("减" + yuan(t.AmountOffFen))
	case PercentOff:
		if t.ThresholdFen > 0 {
			b.WriteString(" ")
		}
		b.WriteString(discountWords(t.PercentOffPermille) + "折")
		if t.CapFen > 0 {
			b.WriteString(" 最多减" + yuan(t.CapFen))
		}
	}
	return b.String()
}

// yuan writes fen as yuan without needless decimals: 2000 → "20", 2050 → "20.5".
func yuan(fen int64) string {
	s := strconv.FormatInt(fen/100, 10)
	if c := fen % 100; c != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(100+c, 10)[1:], "0")
	}
	return s
}

// discountWords writes what is paid in tenths, as malls say it: 150
// thousandths off is "8.5" (折), 100 off is "9".
func discountWords(offPermille int64) string {
	pay := permilleOfWhole - offPermille
	s := strconv.FormatInt(pay/100, 10)
	if r := pay % 100; r != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(100+r, 10)[1:], "0")
	}
	return s
}

// Limits a template must respect.
const (
	maxNameRunes    = 64
	maxScopeIDs     = 200
	maxValidDays    = 366
	MaxPerMember    = 100
	maxQuantity     = 100_000_000
	maxAmountFen    = 100_000_000
	permilleOfWhole = 1000
)

func invalid(field, msg string) error {
	return fault.New(fault.Invalid, ReasonTemplateInvalid, msg, "field", field)
}

// Validate checks a template before it is saved.
func (t Template) Validate() error {
	switch {
	case strings.TrimSpace(t.Name) == "" || utf8.RuneCountInString(t.Name) > maxNameRunes:
		return invalid("name", "a name of at most 64 characters is required")
	case t.Kind == AmountOff && (t.AmountOffFen <= 0 || t.AmountOffFen > maxAmountFen):
		return invalid("amount_off_fen", "an amount-off coupon takes 1 fen to 1,000,000 yuan off")
	case t.Kind == AmountOff && t.ThresholdFen > 0 && t.AmountOffFen > t.ThresholdFen:
		return invalid("amount_off_fen", "a coupon cannot take off more than its threshold")
	case t.Kind == PercentOff && (t.PercentOffPermille <= 0 || t.PercentOffPermille >= permilleOfWhole):
		return invalid("percent_off_permille", "a percent-off coupon takes 1 to 999 thousandths off")
	case t.Kind != AmountOff && t.Kind != PercentOff:
		return invalid("kind", "kind is AMOUNT_OFF or PERCENT_OFF")
	case t.CapFen < 0 || t.ThresholdFen < 0 || t.ThresholdFen > maxAmountFen:
		return invalid("threshold_fen", "threshold and cap are 0 or more")
	case len(t.Scope.CategoryIDs)+len(t.Scope.ProductIDs) > maxScopeIDs:
		return invalid("scope", "a scope names at most 200 categories and products")
	case t.PerMemberLimit < 1 || t.PerMemberLimit > MaxPerMember:
		return invalid("per_member_limit", "a member holds 1 to 100 coupons of a template")
	case t.TotalQuantity < 1 || t.TotalQuantity > maxQuantity:
		return invalid("total_quantity", "a template issues 1 to 100,000,000 coupons")
	}
	fixed := !t.ValidFrom.IsZero() || !t.ValidTo.IsZero()
	switch {
	case fixed && t.ValidDays != 0:
		return invalid("validity", "validity is a fixed period or a number of days after the claim, not both")
	case fixed && (t.ValidFrom.IsZero() || t.ValidTo.IsZero() || !t.ValidFrom.Before(t.ValidTo)):
		return invalid("validity", "a fixed period needs a start before its end")
	case !fixed && (t.ValidDays < 1 || t.ValidDays > maxValidDays):
		return invalid("valid_days", "a coupon is valid 1 to 366 days after the claim")
	}
	return nil
}

// Line is a cart line as coupons see it: its payable amount after the
// member level discount and promotions that come before coupons.
type Line struct {
	LineID, ProductID, CategoryID string
	PayableFen                    int64
	// Catalogue unit price and quantity: activities price from them.
	UnitPriceFen, Quantity int64
}

// Eligible is what the lines a template covers come to.
func (t Template) Eligible(lines []Line) int64 {
	var sum int64
	for _, l := range lines {
		if t.Scope.covers(l) {
			sum += l.PayableFen
		}
	}
	return sum
}

// Off is what the template takes off eligible fen: never more than the
// eligible amount, nothing below the threshold.
func (t Template) Off(eligible int64) int64 {
	if eligible < t.ThresholdFen {
		return 0
	}
	return t.take(eligible)
}

// take is the discount on amount, the threshold aside.
func (t Template) take(amount int64) int64 {
	if amount <= 0 {
		return 0
	}
	var off int64
	switch t.Kind {
	case AmountOff:
		off = t.AmountOffFen
	case PercentOff:
		off, _ = money.MulDiv(amount, t.PercentOffPermille, permilleOfWhole)
		if t.CapFen > 0 {
			off = min(off, t.CapFen)
		}
	}
	return min(off, amount)
}

// Check says why a template cannot apply to lines, or nil.
func (t Template) Check(lines []Line) error {
	eligible := t.Eligible(lines)
	if eligible == 0 {
		return fault.New(fault.Precondition, ReasonNotApplicable, "no line of the order is in the coupon's scope", "template_id", t.ID)
	}
	if eligible < t.ThresholdFen {
		return fault.New(fault.Precondition, ReasonBelowThreshold, "the lines the coupon covers come to less than its threshold",
			"template_id", t.ID, "threshold_fen", itoa(t.ThresholdFen), "eligible_fen", itoa(eligible))
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
