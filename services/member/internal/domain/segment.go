package domain

import (
	"context"
	"time"
)

// SegmentFilter selects members; every condition set must hold. Nil
// pointers and zero times are unset.
type SegmentFilter struct {
	TierIDs          []string
	Tags             []string
	MinPoints        *int64
	MaxPoints        *int64
	RegisteredAfter  time.Time
	RegisteredBefore time.Time
	Channels         []string
	ActiveAfter      time.Time
	InactiveSince    time.Time
	MinOrders        *int64
	MaxOrders        *int64
	MinSpendFen      *int64
	MaxSpendFen      *int64
	// Consents the member must all have given (ConsentSMS, ...).
	Consents []string
}

// Consent channels a segment can require.
const (
	ConsentSMS             = "sms"
	ConsentWechatSubscribe = "wechat_subscribe"
	ConsentInApp           = "in_app"
)

// Allows reports whether c covers every consent channel in required.
func (c Consent) Allows(required []string) bool {
	for _, r := range required {
		switch {
		case r == ConsentSMS && c.SMS, r == ConsentWechatSubscribe && c.WechatSubscribe, r == ConsentInApp && c.InApp:
		default:
			return false
		}
	}
	return true
}

// Validate rejects filters that cannot be meant.
func (f SegmentFilter) Validate() error {
	if len(f.TierIDs) > 20 || len(f.Tags) > 20 || len(f.Channels) > 50 {
		return ErrSegmentInvalid
	}
	for _, t := range f.Tags {
		if ValidateTagID(t) != nil {
			return ErrSegmentInvalid
		}
	}
	if len(f.Consents) > 3 || !(Consent{SMS: true, WechatSubscribe: true, InApp: true}).Allows(f.Consents) {
		return ErrSegmentInvalid
	}
	for _, p := range []*int64{f.MinPoints, f.MaxPoints, f.MinOrders, f.MaxOrders, f.MinSpendFen, f.MaxSpendFen} {
		if p != nil && *p < 0 {
			return ErrSegmentInvalid
		}
	}
	bad := func(lo, hi *int64) bool { return lo != nil && hi != nil && *lo > *hi }
	if bad(f.MinPoints, f.MaxPoints) || bad(f.MinOrders, f.MaxOrders) || bad(f.MinSpendFen, f.MaxSpendFen) ||
		(!f.RegisteredAfter.IsZero() && !f.RegisteredBefore.IsZero() && !f.RegisteredAfter.Before(f.RegisteredBefore)) {
		return ErrSegmentInvalid
	}
	return nil
}

// Segment is a saved filter.
type Segment struct {
	ID        string
	Name      string
	Filter    SegmentFilter
	CreatedAt time.Time
	UpdatedAt time.Time
	// Version counts saves from 1; an update names the version it read.
	Version int64
}

// SegmentMember is a member as segments see them.
type SegmentMember struct {
	MemberID   string
	TierID     string
	Available  int64
	Tags       []string
	Channel    string
	OrderCount int64
	SpendFen   int64
	LastActive time.Time
}

// Segments stores segments and resolves filters over the loyalty accounts.
type Segments interface {
	Create(ctx context.Context, s Segment) error
	List(ctx context.Context) ([]Segment, error)
	// Get returns ErrSegmentNotFound when missing.
	Get(ctx context.Context, id string) (Segment, error)
	// Update saves s if the stored version is still s.Version-1; it returns
	// ErrSegmentNotFound or ErrSegmentVersion otherwise.
	Update(ctx context.Context, s Segment) error
	// Delete removes the segment at version; ErrSegmentNotFound or
	// ErrSegmentVersion otherwise.
	Delete(ctx context.Context, id string, version int64) error
	Count(ctx context.Context, f SegmentFilter) (int64, error)
	// Members pages through matches in member id order.
	Members(ctx context.Context, f SegmentFilter, offset, limit int) ([]SegmentMember, error)
	// Each calls fn for every match in member id order until fn fails.
	Each(ctx context.Context, f SegmentFilter, fn func(SegmentMember) error) error
}
