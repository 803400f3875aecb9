package app

import (
	"context"
	"errors"
	"hash/fnv"
	"sync"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/member/internal/domain"
)

// MemberLookup finds members (the loyalty use cases only check existence).
type MemberLookup interface {
	Get(ctx context.Context, id string) (domain.Member, error)
}

// Loyalty holds the points, sign-in and level use cases. Every change of an
// account runs as: read, apply domain rules in memory, compare-and-set on
// the account's version, retry on a lost race. Writers of one account inside
// this process also queue on a striped lock, so that under contention they
// do not burn retries; the version check is what keeps several processes
// correct.
type Loyalty struct {
	accounts domain.Accounts
	settings domain.SettingsStore
	rules    domain.TagRules
	segments domain.Segments
	// segmentUsage is asked before a segment is deleted.
	segmentUsage SegmentUsage
	members      MemberLookup
	clk          clock.Clock
	stripes      [64]sync.Mutex

	rulesMu     sync.Mutex
	rulesCache  []domain.TagRule
	rulesLoaded time.Time
}

// NewLoyalty wires the loyalty use cases.
func NewLoyalty(accounts domain.Accounts, settings domain.SettingsStore, rules domain.TagRules, segments domain.Segments, segmentUsage SegmentUsage, members MemberLookup, clk clock.Clock) *Loyalty {
	return &Loyalty{accounts: accounts, settings: settings, rules: rules, segments: segments, segmentUsage: segmentUsage, members: members, clk: clk}
}

// maxAttempts bounds the compare-and-set retries of one change.
const maxAttempts = 50

func (l *Loyalty) stripe(memberID string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(memberID))
	return &l.stripes[h.Sum32()%uint32(len(l.stripes))]
}

// change applies fn to the member's account and saves it with its events.
// Due lots expire first, so every answer reflects the true balance. fn
// returns the sign-in result to publish, if any; a change that records no
// entry and moves nothing is not written.
func (l *Loyalty) change(ctx context.Context, memberID string, fn func(a *domain.Account, s domain.Settings, now time.Time) (*domain.SignInResult, error)) (domain.Account, error) {
	mu := l.stripe(memberID)
	mu.Lock()
	defer mu.Unlock()
	set, err := l.settings.Get(ctx)
	if err != nil {
		return domain.Account{}, err
	}
	rules, err := l.tagRules(ctx)
	if err != nil {
		return domain.Account{}, err
	}
	for range maxAttempts {
		a, err := l.accounts.Get(ctx, memberID)
		if err != nil {
			return domain.Account{}, err
		}
		now := l.clk.Now().UTC()
		before := snapshot(a)
		seq := len(a.Entries)
		a.Expire(now)
		signed, err := fn(&a, set, now)
		if err != nil {
			return domain.Account{}, err
		}
		ch := domain.AccountChanges{Entries: a.Entries[seq:], At: now}
		if signed != nil && !signed.Already {
			ch.SignedIn = signed
		}
		if from, to, moved := a.Relevel(set.Tiers); moved {
			ch.Level = &domain.LevelChange{From: from, To: to, Growth: a.Growth}
		}
		ch.Tags = append(a.TagEvents, a.ApplyRules(rules, now)...)
		a.TagEvents = nil
		ch.Expiring = a.RemindExpiry(now)
		if before == snapshot(a) && len(ch.Entries) == 0 && ch.Level == nil && ch.SignedIn == nil && len(ch.Tags) == 0 && ch.Expiring == nil {
			return a, nil
		}
		ok, err := l.accounts.Save(ctx, a, ch)
		if err != nil {
			return domain.Account{}, err
		}
		if ok {
			a.Version++
			return a, nil
		}
	}
	return domain.Account{}, domain.ErrBusy
}

// snapshot is what a change can move besides ledger entries.
type accountState struct {
	growth     int64
	sources    int
	debits     int
	orders     int
	signin     string
	frozen     int64
	tier       string
	excluded   bool
	registered time.Time
	active     time.Time
	spend      int64
}

func snapshot(a domain.Account) accountState {
	return accountState{growth: a.Growth, sources: len(a.Sources), debits: len(a.Debits), orders: len(a.Orders), signin: a.SignIn.LastDay, frozen: a.Frozen(),
		tier: a.TierID, excluded: a.Facts.Excluded(), registered: a.Facts.RegisteredAt, active: a.Facts.LastActive, spend: a.Facts.SpendFen}
}

func (l *Loyalty) requireMember(ctx context.Context, id string) error {
	if id == "" {
		return domain.ErrMemberNotFound
	}
	if _, err := l.members.Get(ctx, id); err != nil {
		if errors.Is(err, ErrNotFound) {
			return domain.ErrMemberNotFound
		}
		return err
	}
	return nil
}

// Account returns a member's account as of now (lots due to expire are
// shown expired even before the sweep writes it).
func (l *Loyalty) Account(ctx context.Context, memberID string) (domain.Account, error) {
	a, err := l.accounts.Get(ctx, memberID)
	if err != nil {
		return domain.Account{}, err
	}
	a.Expire(l.clk.Now().UTC())
	return a, nil
}

// MemberAccount is Account for operators: the member must exist.
func (l *Loyalty) MemberAccount(ctx context.Context, memberID string) (domain.Account, error) {
	if err := l.requireMember(ctx, memberID); err != nil {
		return domain.Account{}, err
	}
	return l.Account(ctx, memberID)
}

// Freeze holds points for an order.
func (l *Loyalty) Freeze(ctx context.Context, memberID, orderID string, points int64) (domain.Debit, domain.Account, error) {
	var d domain.Debit
	a, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, now time.Time) (*domain.SignInResult, error) {
		var err error
		d, _, err = a.Freeze(now, orderID, points)
		return nil, err
	})
	return d, a, err
}

// Confirm spends an order's hold.
func (l *Loyalty) Confirm(ctx context.Context, memberID, orderID string) (domain.Debit, domain.Account, error) {
	var d domain.Debit
	a, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, now time.Time) (*domain.SignInResult, error) {
		var err error
		d, _, err = a.Confirm(now, orderID)
		return nil, err
	})
	return d, a, err
}

// Release returns an order's hold.
func (l *Loyalty) Release(ctx context.Context, memberID, orderID string) (domain.Debit, domain.Account, error) {
	var d domain.Debit
	a, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, now time.Time) (*domain.SignInResult, error) {
		var err error
		d, _, err = a.Release(now, orderID)
		return nil, err
	})
	return d, a, err
}

// Spend takes points at once, idempotent by source id.
func (l *Loyalty) Spend(ctx context.Context, memberID, source string, points int64, reason string) (domain.Account, error) {
	if reason == "" {
		reason = "redeemed"
	}
	if len(reason) > 200 {
		return domain.Account{}, domain.ErrReasonRequired
	}
	return l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, now time.Time) (*domain.SignInResult, error) {
		_, err := a.Spend(now, source, points, domain.EntrySpend, reason, "")
		return nil, err
	})
}

// Adjust is an operator's audited grant or deduction.
func (l *Loyalty) Adjust(ctx context.Context, memberID, requestID string, points int64, reason, operator string) (domain.Account, error) {
	if err := l.requireMember(ctx, memberID); err != nil {
		return domain.Account{}, err
	}
	return l.change(ctx, memberID, func(a *domain.Account, s domain.Settings, now time.Time) (*domain.SignInResult, error) {
		_, err := a.Adjust(now, requestID, points, domain.ExpiryFor(now, s.ExpiryYears), reason, operator)
		return nil, err
	})
}

// OrderPaid credits a paid order's points and growth once per order and
// records it for tags and segments; paidAt is when it was paid.
func (l *Loyalty) OrderPaid(ctx context.Context, memberID, orderID string, paidFen int64, paidAt time.Time, promotions []string) error {
	_, err := l.change(ctx, memberID, func(a *domain.Account, s domain.Settings, now time.Time) (*domain.SignInResult, error) {
		applied, err := a.PaidOrder(now, orderID, paidFen, domain.EarnedFor(paidFen, s.EarnPermillePerYuan), domain.EarnedFor(paidFen, s.GrowthPermillePerYuan), domain.ExpiryFor(now, s.ExpiryYears))
		if applied {
			if paidAt.IsZero() || paidAt.After(now) {
				paidAt = now
			}
			a.OrderFacts(paidAt, paidFen, promotions)
		}
		return nil, err
	})
	return err
}

// OrderRefunded reverses an order's points and growth in proportion, once per refund.
func (l *Loyalty) OrderRefunded(ctx context.Context, memberID, orderID, refundID string, refundFen, paidFen int64) error {
	_, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, now time.Time) (*domain.SignInResult, error) {
		applied, err := a.RefundOrder(now, orderID, refundID, refundFen, paidFen)
		if applied {
			a.Facts.SpendFen = max(a.Facts.SpendFen-refundFen, 0)
		}
		return nil, err
	})
	return err
}

// SignIn checks the member in for today.
func (l *Loyalty) SignIn(ctx context.Context, memberID string) (domain.SignInResult, error) {
	var res domain.SignInResult
	_, err := l.change(ctx, memberID, func(a *domain.Account, s domain.Settings, now time.Time) (*domain.SignInResult, error) {
		var err error
		res, err = a.CheckIn(now, s)
		a.Visited(now)
		return &res, err
	})
	return res, err
}

// Calendar is the member's sign-ins of the current month.
type Calendar struct {
	Month  string
	Days   []string
	Streak int
	Today  bool
}

// SignInCalendar returns the current month's check-ins.
func (l *Loyalty) SignInCalendar(ctx context.Context, memberID string) (Calendar, error) {
	a, err := l.accounts.Get(ctx, memberID)
	if err != nil {
		return Calendar{}, err
	}
	var c Calendar
	c.Month, c.Days, c.Streak, c.Today = a.Calendar(l.clk.Now())
	return c, nil
}

// Settings returns the loyalty settings.
func (l *Loyalty) Settings(ctx context.Context) (domain.Settings, error) { return l.settings.Get(ctx) }

// UpdateSettings replaces the settings except the tiers (SetTiers does those).
func (l *Loyalty) UpdateSettings(ctx context.Context, s domain.Settings) (domain.Settings, error) {
	cur, err := l.settings.Get(ctx)
	if err != nil {
		return domain.Settings{}, err
	}
	s.Tiers = cur.Tiers
	if err := s.Validate(); err != nil {
		return domain.Settings{}, err
	}
	return s, l.settings.Put(ctx, s)
}

// SetTiers replaces the level tiers. Members move tier with their next
// growth change; their level is always shown from the current tiers.
func (l *Loyalty) SetTiers(ctx context.Context, tiers []domain.Tier) ([]domain.Tier, error) {
	if err := domain.ValidateTiers(tiers); err != nil {
		return nil, err
	}
	cur, err := l.settings.Get(ctx)
	if err != nil {
		return nil, err
	}
	cur.Tiers = tiers
	return tiers, l.settings.Put(ctx, cur)
}

// Level is a member's growth and tier.
type Level struct {
	Growth int64
	Tier   domain.Tier
	Next   *domain.Tier
}

// MemberLevel computes the member's tier from growth and the current tiers.
func (l *Loyalty) MemberLevel(ctx context.Context, memberID string) (Level, error) {
	a, err := l.accounts.Get(ctx, memberID)
	if err != nil {
		return Level{}, err
	}
	s, err := l.settings.Get(ctx)
	if err != nil {
		return Level{}, err
	}
	t, next := domain.TierFor(s.Tiers, a.Growth)
	return Level{Growth: a.Growth, Tier: t, Next: next}, nil
}

// Standing is what checkout needs of a member.
type Standing struct {
	Member    domain.Member
	Level     Level
	Available int64
}

// Standing reads a member's state, level and available points for another
// service's checkout, so pricing never re-implements level rules.
func (l *Loyalty) Standing(ctx context.Context, memberID string) (Standing, error) {
	if memberID == "" {
		return Standing{}, domain.ErrMemberNotFound
	}
	m, err := l.members.Get(ctx, memberID)
	if errors.Is(err, ErrNotFound) {
		return Standing{}, domain.ErrMemberNotFound
	}
	if err != nil {
		return Standing{}, err
	}
	lvl, err := l.MemberLevel(ctx, memberID)
	if err != nil {
		return Standing{}, err
	}
	a, err := l.Account(ctx, memberID)
	if err != nil {
		return Standing{}, err
	}
	return Standing{Member: m, Level: lvl, Available: a.Available()}, nil
}

// AdminMemberLevel is MemberLevel for operators: the member must exist.
func (l *Loyalty) AdminMemberLevel(ctx context.Context, memberID string) (Level, error) {
	if err := l.requireMember(ctx, memberID); err != nil {
		return Level{}, err
	}
	return l.MemberLevel(ctx, memberID)
}

// SweepExpired writes the expiry of every account with a lot due, and
// tells members whose points expire within a month, a batch at a time; the
// due time is stored on the account, so a restart loses nothing. It
// returns how many accounts it changed.
func (l *Loyalty) SweepExpired(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := l.accounts.DueForExpiry(ctx, l.clk.Now().UTC(), 100)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			if _, err := l.change(ctx, id, func(*domain.Account, domain.Settings, time.Time) (*domain.SignInResult, error) { return nil, nil }); err != nil {
				return n, err
			}
			n++
		}
		if len(ids) < 100 {
			return n, nil
		}
	}
}
