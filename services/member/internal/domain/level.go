package domain

import (
	"context"
	"regexp"
	"time"
)

// Settings are the loyalty rules operators tune; they are data in the
// service's database, with DefaultSettings until an operator changes them.
type Settings struct {
	EarnPermillePerYuan   int64
	GrowthPermillePerYuan int64
	ExpiryYears           int
	SignInDailyPoints     int64
	SignInBonusEveryDays  int
	SignInBonusPoints     int64
	InviteRewardPoints    int64
	Tiers                 []Tier
}

// Tier is a membership level.
type Tier struct {
	ID               string
	Name             string
	GrowthThreshold  int64
	DiscountPermille int
	Benefits         string
}

// DefaultSettings: 1 point and 1 growth per yuan, points good until the end
// of the following year, 5 points a day and 20 more every 7th day in a row,
// 50 points for each member one invites.
func DefaultSettings() Settings {
	return Settings{EarnPermillePerYuan: 1000, GrowthPermillePerYuan: 1000, ExpiryYears: 1,
		SignInDailyPoints: 5, SignInBonusEveryDays: 7, SignInBonusPoints: 20, InviteRewardPoints: 50,
		Tiers: []Tier{
			{ID: "regular", Name: "普通会员", GrowthThreshold: 0},
			{ID: "silver", Name: "白银会员", GrowthThreshold: 1000, DiscountPermille: 20, Benefits: "生日礼券"},
			{ID: "gold", Name: "黄金会员", GrowthThreshold: 5000, DiscountPermille: 50, Benefits: "生日礼券、包邮"},
			{ID: "diamond", Name: "钻石会员", GrowthThreshold: 20000, DiscountPermille: 100, Benefits: "生日礼券、包邮、专属客服"},
		}}
}

// Validate checks the ranges.
func (s Settings) Validate() error {
	switch {
	case s.EarnPermillePerYuan < 0 || s.EarnPermillePerYuan > 100_000,
		s.GrowthPermillePerYuan < 0 || s.GrowthPermillePerYuan > 100_000,
		s.ExpiryYears < 0 || s.ExpiryYears > 10,
		s.SignInDailyPoints < 0 || s.SignInDailyPoints > 10_000,
		s.SignInBonusEveryDays < 0 || s.SignInBonusEveryDays > 366,
		s.SignInBonusPoints < 0 || s.SignInBonusPoints > 100_000,
		s.InviteRewardPoints < 0 || s.InviteRewardPoints > 100_000:
		return ErrSettingsInvalid
	}
	return ValidateTiers(s.Tiers)
}

var tierIDRe = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ValidateTiers wants 1-20 tiers, unique ids and names, thresholds rising
// from 0 and discounts within 0-1000 per mille.
func ValidateTiers(ts []Tier) error {
	if len(ts) == 0 || len(ts) > 20 || ts[0].GrowthThreshold != 0 {
		return ErrTiersInvalid
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for i, t := range ts {
		if !tierIDRe.MatchString(t.ID) || t.Name == "" || len(t.Name) > 64 || len(t.Benefits) > 500 ||
			ids[t.ID] || names[t.Name] || t.DiscountPermille < 0 || t.DiscountPermille > 1000 ||
			(i > 0 && t.GrowthThreshold <= ts[i-1].GrowthThreshold) {
			return ErrTiersInvalid
		}
		ids[t.ID], names[t.Name] = true, true
	}
	return nil
}

// TierFor is the highest tier growth reaches, and the next one (nil at the top).
func TierFor(tiers []Tier, growth int64) (cur Tier, next *Tier) {
	for i, t := range tiers {
		if growth >= t.GrowthThreshold {
			cur = t
			next = nil
			if i+1 < len(tiers) {
				n := tiers[i+1]
				next = &n
			}
		}
	}
	return cur, next
}

// Relevel moves the account to the tier its growth reaches and reports a
// change. An account never placed counts as being in the lowest tier, so
// opening an account is not a level change but reaching a higher tier is.
func (a *Account) Relevel(tiers []Tier) (prev, cur string, changed bool) {
	if len(tiers) == 0 {
		return a.TierID, a.TierID, false
	}
	t, _ := TierFor(tiers, a.Growth)
	prev = a.TierID
	if prev == "" {
		prev = tiers[0].ID
	}
	a.TierID = t.ID
	return prev, t.ID, t.ID != prev
}

// LevelChange is the event of a member moving to another tier.
type LevelChange struct {
	From, To string
	Growth   int64
}

// AccountChanges are the events of one account write.
type AccountChanges struct {
	Entries  []Entry
	SignedIn *SignInResult
	Level    *LevelChange
	Tags     []TagChange
	Expiring *Expiring
	At       time.Time
}

// Accounts stores loyalty accounts, one document per member.
type Accounts interface {
	// Get returns the member's account; a member without one gets an empty
	// account with Version 0.
	Get(ctx context.Context, memberID string) (Account, error)
	// Save writes a if its stored version is still a.Version (0: not yet
	// stored), with the events of ch in the same write; false means another
	// writer came first and the caller must read again.
	Save(ctx context.Context, a Account, ch AccountChanges) (bool, error)
	// DueForExpiry lists members with a lot expiring at or before now.
	DueForExpiry(ctx context.Context, now time.Time, limit int) ([]string, error)
	// IDsAfter lists member ids greater than after, in order.
	IDsAfter(ctx context.Context, after string, limit int) ([]string, error)
}

// SettingsStore keeps the loyalty settings.
type SettingsStore interface {
	// Get returns the stored settings, or DefaultSettings.
	Get(ctx context.Context) (Settings, error)
	Put(ctx context.Context, s Settings) error
}
