package domain

import (
	"context"
	"regexp"
	"slices"
	"time"
)

// Facts are what tag rules and segments look at, kept up to date from
// events: registration, visits (logins, sign-ins) and orders.
type Facts struct {
	RegisteredAt time.Time
	Channel      string
	LastActive   time.Time
	OrderCount   int64
	// SpendFen is paid minus refunded.
	SpendFen    int64
	PromoOrders []PromoOrder
	// Blocked and Deleted members are in no segment: marketing never
	// reaches them. BlockedAt orders block/unblock events.
	Blocked   bool
	BlockedAt time.Time
	Deleted   bool
}

// Excluded reports whether segments leave the member out.
func (f Facts) Excluded() bool { return f.Blocked || f.Deleted }

// SetBlocked applies a block or unblock unless a later one was applied.
func (a *Account) SetBlocked(at time.Time, blocked bool) {
	if at.Before(a.Facts.BlockedAt) {
		return
	}
	a.Facts.Blocked, a.Facts.BlockedAt = blocked, at
}

// Deleted marks a member who deleted their account: their points ledger
// stays for accounting, their tags and channel go.
func (a *Account) Deleted() {
	a.Facts.Deleted = true
	a.Facts.Channel = ""
	a.Tags = nil
}

// PromoOrder is a paid order that used promotions.
type PromoOrder struct {
	At    time.Time
	Kinds []string
}

// keepPromoOrders bounds the promotion history kept per member.
const keepPromoOrders = 100

// Tag sources.
const (
	TagManual = "manual"
	TagByRule = "rule"
)

// TagMark is a tag on a member.
type TagMark struct {
	ID     string
	Source string
	At     time.Time
}

// TagChange is a tag added to or removed from a member.
type TagChange struct {
	ID     string
	Added  bool
	Source string
}

// Rule kinds: the vocabulary rules are written in. A rule is data (kind
// plus parameters) that operators create and disable.
const (
	RulePromotionOrders = "promotion_orders"
	RuleInactiveDays    = "inactive_days"
	RuleNewMember       = "registered_within_days"
	RuleOrdersAtLeast   = "orders_at_least"
	RuleSpendAtLeast    = "spend_at_least_fen"
)

// TagRule sets its tag on every member it matches and removes it from the others.
type TagRule struct {
	ID         string
	Name       string
	Kind       string
	Threshold  int64
	WindowDays int
	Promotions []string
	Enabled    bool
	CreatedAt  time.Time
}

// DefaultTagRules are the rules a new shop starts with.
func DefaultTagRules(now time.Time) []TagRule {
	return []TagRule{
		{ID: "promotion-sensitive", Name: "促销敏感", Kind: RulePromotionOrders, Threshold: 3, WindowDays: 30, Promotions: []string{"coupon", "flash_sale"}, Enabled: true, CreatedAt: now},
		{ID: "dormant", Name: "沉睡会员", Kind: RuleInactiveDays, WindowDays: 30, Enabled: true, CreatedAt: now},
		{ID: "new", Name: "新会员", Kind: RuleNewMember, WindowDays: 7, Enabled: true, CreatedAt: now},
	}
}

var tagIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidateTagID accepts lowercase ids of up to 32 letters, digits, '-' and '_'.
func ValidateTagID(id string) error {
	if !tagIDRe.MatchString(id) {
		return ErrTagInvalid
	}
	return nil
}

// Validate checks a rule's parameters for its kind.
func (r TagRule) Validate() error {
	if ValidateTagID(r.ID) != nil || r.Name == "" || len(r.Name) > 64 || r.WindowDays < 0 || r.WindowDays > 3650 || r.Threshold < 0 {
		return ErrTagRuleInvalid
	}
	switch r.Kind {
	case RulePromotionOrders:
		if r.Threshold < 1 || r.WindowDays < 1 || len(r.Promotions) == 0 || len(r.Promotions) > 20 {
			return ErrTagRuleInvalid
		}
	case RuleInactiveDays, RuleNewMember:
		if r.WindowDays < 1 {
			return ErrTagRuleInvalid
		}
	case RuleOrdersAtLeast, RuleSpendAtLeast:
		if r.Threshold < 1 {
			return ErrTagRuleInvalid
		}
	default:
		return ErrTagRuleInvalid
	}
	return nil
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// Matches reports whether a member with facts f carries the rule's tag at now.
func (r TagRule) Matches(f Facts, now time.Time) bool {
	switch r.Kind {
	case RulePromotionOrders:
		var n int64
		for _, o := range f.PromoOrders {
			if now.Sub(o.At) <= days(r.WindowDays) && slices.ContainsFunc(o.Kinds, func(k string) bool { return slices.Contains(r.Promotions, k) }) {
				n++
			}
		}
		return n >= r.Threshold
	case RuleInactiveDays:
		last := f.LastActive
		if last.IsZero() {
			last = f.RegisteredAt
		}
		return !last.IsZero() && now.Sub(last) >= days(r.WindowDays)
	case RuleNewMember:
		return !f.RegisteredAt.IsZero() && now.Sub(f.RegisteredAt) < days(r.WindowDays)
	case RuleOrdersAtLeast:
		return f.OrderCount >= r.Threshold
	case RuleSpendAtLeast:
		return f.SpendFen >= r.Threshold
	}
	return false
}

// HasTag reports whether the member carries tag id from source.
func (a *Account) HasTag(id, source string) bool {
	return slices.ContainsFunc(a.Tags, func(m TagMark) bool { return m.ID == id && m.Source == source })
}

// TagIDs is the member's distinct tag ids.
func (a *Account) TagIDs() []string {
	var out []string
	for _, m := range a.Tags {
		if !slices.Contains(out, m.ID) {
			out = append(out, m.ID)
		}
	}
	return out
}

// maxManualTags bounds the manual tags of one member.
const maxManualTags = 50

// AddManualTag tags the member by hand; an existing tag is a no-op.
func (a *Account) AddManualTag(id string, now time.Time) (*TagChange, error) {
	if err := ValidateTagID(id); err != nil {
		return nil, err
	}
	if a.HasTag(id, TagManual) {
		return nil, nil
	}
	n := 0
	for _, m := range a.Tags {
		if m.Source == TagManual {
			n++
		}
	}
	if n >= maxManualTags {
		return nil, ErrTooManyTags
	}
	a.Tags = append(a.Tags, TagMark{ID: id, Source: TagManual, At: now})
	c := TagChange{ID: id, Added: true, Source: TagManual}
	a.TagEvents = append(a.TagEvents, c)
	return &c, nil
}

// RemoveManualTag removes a manual tag; a missing one is a no-op.
func (a *Account) RemoveManualTag(id string) *TagChange {
	if !a.HasTag(id, TagManual) {
		return nil
	}
	a.Tags = slices.DeleteFunc(a.Tags, func(m TagMark) bool { return m.ID == id && m.Source == TagManual })
	c := TagChange{ID: id, Added: false, Source: TagManual}
	a.TagEvents = append(a.TagEvents, c)
	return &c
}

// ApplyRules brings the member's rule tags in line with the enabled rules:
// tags of matching rules are added, the others (including tags of rules
// since disabled or deleted) removed. Manual tags are never touched.
func (a *Account) ApplyRules(rules []TagRule, now time.Time) []TagChange {
	if a.Facts.Deleted {
		return nil
	}
	var out []TagChange
	want := map[string]bool{}
	for _, r := range rules {
		if r.Enabled && r.Matches(a.Facts, now) {
			want[r.ID] = true
		}
	}
	kept := a.Tags[:0]
	for _, m := range a.Tags {
		if m.Source == TagByRule && !want[m.ID] {
			out = append(out, TagChange{ID: m.ID, Added: false, Source: TagByRule})
			continue
		}
		kept = append(kept, m)
	}
	a.Tags = kept
	for _, r := range rules {
		if want[r.ID] && !a.HasTag(r.ID, TagByRule) {
			a.Tags = append(a.Tags, TagMark{ID: r.ID, Source: TagByRule, At: now})
			out = append(out, TagChange{ID: r.ID, Added: true, Source: TagByRule})
		}
	}
	return out
}

// Registered records the member's registration (idempotent).
func (a *Account) Registered(at time.Time, channel string) {
	if a.Facts.RegisteredAt.IsZero() {
		a.Facts.RegisteredAt, a.Facts.Channel = at, channel
		// Registering is the first visit: a member who never comes back is dormant too.
		a.Visited(at)
	}
}

// Visited moves the last-active time forward.
func (a *Account) Visited(at time.Time) {
	if at.After(a.Facts.LastActive) {
		a.Facts.LastActive = at
	}
}

// OrderFacts records a paid order for tags and segments.
func (a *Account) OrderFacts(at time.Time, paidFen int64, promotions []string) {
	a.Facts.OrderCount++
	a.Facts.SpendFen += paidFen
	a.Visited(at)
	if len(promotions) > 0 {
		a.Facts.PromoOrders = append(a.Facts.PromoOrders, PromoOrder{At: at, Kinds: slices.Clone(promotions)})
		if len(a.Facts.PromoOrders) > keepPromoOrders {
			a.Facts.PromoOrders = a.Facts.PromoOrders[len(a.Facts.PromoOrders)-keepPromoOrders:]
		}
	}
}

// TagRules stores the rules.
type TagRules interface {
	// List returns every rule; a shop without rules gets DefaultTagRules stored.
	List(ctx context.Context) ([]TagRule, error)
	// Create inserts a rule; false when the id exists.
	Create(ctx context.Context, r TagRule) (bool, error)
	// Disable turns a rule off; ErrTagRuleNotFound when missing.
	Disable(ctx context.Context, id string) (TagRule, error)
}
