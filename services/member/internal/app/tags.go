package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"siyu.dev/services/member/internal/domain"
)

// rulesTTL bounds how stale another instance's rule change can be here.
const rulesTTL = 10 * time.Second

func (l *Loyalty) tagRules(ctx context.Context) ([]domain.TagRule, error) {
	l.rulesMu.Lock()
	defer l.rulesMu.Unlock()
	if l.rulesCache != nil && time.Since(l.rulesLoaded) < rulesTTL {
		return l.rulesCache, nil
	}
	rs, err := l.rules.List(ctx)
	if err != nil {
		return nil, err
	}
	l.rulesCache, l.rulesLoaded = rs, time.Now()
	return rs, nil
}

func (l *Loyalty) forgetRules() {
	l.rulesMu.Lock()
	l.rulesCache = nil
	l.rulesMu.Unlock()
}

// TagRules lists the rules.
func (l *Loyalty) TagRules(ctx context.Context) ([]domain.TagRule, error) { return l.rules.List(ctx) }

// CreateTagRule adds an enabled rule; members get its tag as they are next
// evaluated (on their next event or the periodic sweep).
func (l *Loyalty) CreateTagRule(ctx context.Context, r domain.TagRule) (domain.TagRule, error) {
	r.Enabled, r.CreatedAt = true, l.clk.Now().UTC()
	if err := r.Validate(); err != nil {
		return domain.TagRule{}, err
	}
	ok, err := l.rules.Create(ctx, r)
	if err != nil {
		return domain.TagRule{}, err
	}
	if !ok {
		return domain.TagRule{}, domain.ErrTagRuleExists
	}
	l.forgetRules()
	return r, nil
}

// DisableTagRule turns a rule off.
func (l *Loyalty) DisableTagRule(ctx context.Context, id string) (domain.TagRule, error) {
	r, err := l.rules.Disable(ctx, id)
	if err != nil {
		return domain.TagRule{}, err
	}
	l.forgetRules()
	return r, nil
}

// AddTag tags a member by hand.
func (l *Loyalty) AddTag(ctx context.Context, memberID, tag string) ([]domain.TagMark, error) {
	if err := domain.ValidateTagID(tag); err != nil {
		return nil, err
	}
	if err := l.requireMember(ctx, memberID); err != nil {
		return nil, err
	}
	a, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, now time.Time) (*domain.SignInResult, error) {
		_, err := a.AddManualTag(tag, now)
		return nil, err
	})
	return a.Tags, err
}

// RemoveTag removes a manual tag.
func (l *Loyalty) RemoveTag(ctx context.Context, memberID, tag string) ([]domain.TagMark, error) {
	if err := l.requireMember(ctx, memberID); err != nil {
		return nil, err
	}
	a, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, _ time.Time) (*domain.SignInResult, error) {
		a.RemoveManualTag(tag)
		return nil, nil
	})
	return a.Tags, err
}

// MemberTags returns a member's tags.
func (l *Loyalty) MemberTags(ctx context.Context, memberID string) ([]domain.TagMark, error) {
	if err := l.requireMember(ctx, memberID); err != nil {
		return nil, err
	}
	a, err := l.accounts.Get(ctx, memberID)
	return a.Tags, err
}

// MemberRegistered records a registration (from member.registered) and
// rewards the inviter, once per invitee. Two separate writes: each is
// idempotent, so a redelivered event completes whichever did not happen.
func (l *Loyalty) MemberRegistered(ctx context.Context, memberID string, at time.Time, channel, inviterID string) error {
	_, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, _ time.Time) (*domain.SignInResult, error) {
		a.Registered(at, channel)
		return nil, nil
	})
	if err != nil || inviterID == "" || inviterID == memberID {
		return err
	}
	_, err = l.change(ctx, inviterID, func(a *domain.Account, s domain.Settings, now time.Time) (*domain.SignInResult, error) {
		if s.InviteRewardPoints <= 0 {
			return nil, nil
		}
		_, err := a.Earn(now, "invite:"+memberID, s.InviteRewardPoints, domain.ExpiryFor(now, s.ExpiryYears), domain.EntryEarn, "invited a member", "")
		return nil, err
	})
	return err
}

// MemberVisited records a visit (from member.logged_in).
func (l *Loyalty) MemberVisited(ctx context.Context, memberID string, at time.Time) error {
	_, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, _ time.Time) (*domain.SignInResult, error) {
		a.Visited(at)
		return nil, nil
	})
	return err
}

// MemberBlocked records a block or unblock (from member.blocked).
func (l *Loyalty) MemberBlocked(ctx context.Context, memberID string, at time.Time, blocked bool) error {
	_, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, _ time.Time) (*domain.SignInResult, error) {
		a.SetBlocked(at, blocked)
		return nil, nil
	})
	return err
}

// MemberDeleted records an account deletion (from member.deleted).
func (l *Loyalty) MemberDeleted(ctx context.Context, memberID string) error {
	_, err := l.change(ctx, memberID, func(a *domain.Account, _ domain.Settings, _ time.Time) (*domain.SignInResult, error) {
		a.Deleted()
		return nil, nil
	})
	return err
}

// SweepTags re-evaluates every member's rule tags: time alone moves
// members out of "new" and into "dormant". It returns how many members it
// walked.
func (l *Loyalty) SweepTags(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		ids, err := l.accounts.IDsAfter(ctx, after, 200)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			if _, err := l.change(ctx, id, func(*domain.Account, domain.Settings, time.Time) (*domain.SignInResult, error) { return nil, nil }); err != nil {
				return n, err
			}
			n++
			after = id
		}
		if len(ids) < 200 {
			return n, nil
		}
	}
}

// CreateSegment saves a filter.
func (l *Loyalty) CreateSegment(ctx context.Context, name string, f domain.SegmentFilter) (domain.Segment, error) {
	if err := validSegment(name, f); err != nil {
		return domain.Segment{}, err
	}
	now := l.clk.Now().UTC()
	s := domain.Segment{ID: newID("seg"), Name: name, Filter: f, CreatedAt: now, UpdatedAt: now, Version: 1}
	return s, l.segments.Create(ctx, s)
}

func validSegment(name string, f domain.SegmentFilter) error {
	if name == "" || len(name) > 64 {
		return domain.ErrSegmentInvalid
	}
	return f.Validate()
}

// SegmentUsage answers whether anything not yet finished (a campaign, a
// broadcast) targets a segment. Marketing and messaging own those; the
// member service asks them through this port before deleting a segment.
type SegmentUsage interface {
	// Users names the unfinished things using segmentID; empty when none.
	Users(ctx context.Context, segmentID string) ([]string, error)
}

// NoSegmentUsers is the SegmentUsage of a shop in which no service targets
// segments yet (marketing and messaging do not answer the port so far).
type NoSegmentUsers struct{}

// Users reports no users.
func (NoSegmentUsers) Users(context.Context, string) ([]string, error) { return nil, nil }

// SegmentPatch is what an update changes; nil fields stay as they are.
type SegmentPatch struct {
	Name   *string
	Filter *domain.SegmentFilter
}

// UpdateSegment renames a segment or replaces its filter; version is the
// version the operator read, so two operators never overwrite each other.
func (l *Loyalty) UpdateSegment(ctx context.Context, id string, version int64, p SegmentPatch) (domain.Segment, error) {
	s, err := l.segments.Get(ctx, id)
	if err != nil {
		return domain.Segment{}, err
	}
	if version != s.Version {
		return domain.Segment{}, domain.ErrSegmentVersion
	}
	if p.Name != nil {
		s.Name = *p.Name
	}
	if p.Filter != nil {
		s.Filter = *p.Filter
	}
	if err := validSegment(s.Name, s.Filter); err != nil {
		return domain.Segment{}, err
	}
	s.UpdatedAt, s.Version = l.clk.Now().UTC(), s.Version+1
	return s, l.segments.Update(ctx, s)
}

// DeleteSegment removes a segment at version, refused while an unfinished
// campaign or broadcast uses it.
func (l *Loyalty) DeleteSegment(ctx context.Context, id string, version int64) error {
	s, err := l.segments.Get(ctx, id)
	if err != nil {
		return err
	}
	if version != s.Version {
		return domain.ErrSegmentVersion
	}
	users, err := l.segmentUsage.Users(ctx, id)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		e := *domain.ErrSegmentInUse
		e.Msg = fmt.Sprintf("%s: %s", e.Msg, strings.Join(users, ", "))
		return &e
	}
	return l.segments.Delete(ctx, id, version)
}

// Segments lists the saved segments.
func (l *Loyalty) Segments(ctx context.Context) ([]domain.Segment, error) {
	return l.segments.List(ctx)
}

// CountSegment counts a segment's members now.
func (l *Loyalty) CountSegment(ctx context.Context, id string) (int64, error) {
	s, err := l.segments.Get(ctx, id)
	if err != nil {
		return 0, err
	}
	if len(s.Filter.Consents) == 0 {
		return l.segments.Count(ctx, s.Filter)
	}
	var n int64
	err = l.eachConsenting(ctx, s.Filter, func(domain.SegmentMember) error { n++; return nil })
	return n, err
}

// SegmentMembers pages through a segment's members.
func (l *Loyalty) SegmentMembers(ctx context.Context, id string, offset, limit int) ([]domain.SegmentMember, error) {
	s, err := l.segments.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(s.Filter.Consents) == 0 {
		return l.segments.Members(ctx, s.Filter, offset, limit)
	}
	var out []domain.SegmentMember
	errDone := errors.New("page full")
	seen := 0
	err = l.eachConsenting(ctx, s.Filter, func(m domain.SegmentMember) error {
		if seen++; seen > offset {
			out = append(out, m)
		}
		if len(out) == limit {
			return errDone
		}
		return nil
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	return out, err
}

// EachSegmentMember streams a segment's members.
func (l *Loyalty) EachSegmentMember(ctx context.Context, id string, consents []string, fn func(domain.SegmentMember) error) error {
	s, err := l.segments.Get(ctx, id)
	if err != nil {
		return err
	}
	f := s.Filter
	for _, c := range consents {
		if !slices.Contains(f.Consents, c) {
			f.Consents = append(slices.Clone(f.Consents), c)
		}
	}
	if err := f.Validate(); err != nil {
		return err
	}
	return l.eachConsenting(ctx, f, fn)
}

// eachConsenting walks the matches and, when the filter asks for consents,
// checks each member's current consent in the member's own document: it is
// never copied, so a withdrawn consent takes effect at once.
func (l *Loyalty) eachConsenting(ctx context.Context, f domain.SegmentFilter, fn func(domain.SegmentMember) error) error {
	if len(f.Consents) == 0 {
		return l.segments.Each(ctx, f, fn)
	}
	return l.segments.Each(ctx, f, func(sm domain.SegmentMember) error {
		m, err := l.members.Get(ctx, sm.MemberID)
		if errors.Is(err, ErrNotFound) || (err == nil && (m.Blocked || m.Deleted || !m.Consent.Allows(f.Consents))) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(sm)
	})
}

// Overview is a member's loyalty at a glance, for the operators' member
// 360 view: balance and lots, growth and tier, tags.
type Overview struct {
	Account domain.Account
	Level   Level
	Tags    []domain.TagMark
}

// MemberOverview reads the member's loyalty in one go.
func (l *Loyalty) MemberOverview(ctx context.Context, memberID string) (Overview, error) {
	a, err := l.Account(ctx, memberID)
	if err != nil {
		return Overview{}, err
	}
	s, err := l.settings.Get(ctx)
	if err != nil {
		return Overview{}, err
	}
	t, next := domain.TierFor(s.Tiers, a.Growth)
	return Overview{Account: a, Level: Level{Growth: a.Growth, Tier: t, Next: next}, Tags: a.Tags}, nil
}
