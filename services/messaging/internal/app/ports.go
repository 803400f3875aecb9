// Package app holds the messaging use cases: the inbox, settings,
// templates and rules, event notifications, broadcasts and the dispatcher
// that takes every delivery through the respect policy to a channel.
package app

import (
	"context"
	"errors"
	"time"

	"siyu.dev/services/messaging/internal/domain"
)

// Deliveries store deliveries by id.
type Deliveries interface {
	// Create stores d unless a delivery with its id exists; then it returns
	// that one and created false.
	Create(ctx context.Context, d domain.Delivery) (stored domain.Delivery, created bool, err error)
	Get(ctx context.Context, id string) (domain.Delivery, error)
	// Save writes d if the stored version is still prev (d.Version is
	// prev+1); otherwise a domain.ReasonConflict fault.
	Save(ctx context.Context, d domain.Delivery, prev int64) error
	// Due lists up to n unfinished deliveries whose next attempt has passed.
	Due(ctx context.Context, now time.Time, n int) ([]domain.Delivery, error)
	// List pages newest first, after the delivery id after.
	List(ctx context.Context, f DeliveryFilter, after string, n int) ([]domain.Delivery, error)
}

// DeliveryFilter narrows a delivery listing; empty fields match all.
type DeliveryFilter struct {
	MemberID string
	Status   domain.Status
	Cause    string
}

// Inboxes store one inbox document per member.
type Inboxes interface {
	// Get returns the member's inbox, empty (version 0) if none is stored.
	Get(ctx context.Context, memberID string) (domain.Inbox, error)
	// Save writes b if the stored version is prev (0: not stored yet).
	Save(ctx context.Context, b domain.Inbox, prev int64) error
	// Delete removes the member's inbox (idempotent).
	Delete(ctx context.Context, memberID string) error
}

// SettingsStore keeps one settings document per member.
type SettingsStore interface {
	Get(ctx context.Context, memberID string) (domain.Settings, error)
	Save(ctx context.Context, s domain.Settings, prev int64) error
	// Delete removes the member's settings (idempotent).
	Delete(ctx context.Context, memberID string) error
}

// Templates store templates by id.
type Templates interface {
	// Create is a TEMPLATE_EXISTS conflict for an existing id.
	Create(ctx context.Context, t domain.Template) error
	Get(ctx context.Context, id string) (domain.Template, error)
	Save(ctx context.Context, t domain.Template, prev int64) error
	List(ctx context.Context) ([]domain.Template, error)
	Delete(ctx context.Context, id string) error
}

// Rules store notification rules by event type.
type Rules interface {
	Put(ctx context.Context, r domain.Rule) error
	// Get returns ok false when the event type has no rule.
	Get(ctx context.Context, eventType string) (domain.Rule, bool, error)
	List(ctx context.Context) ([]domain.Rule, error)
	Delete(ctx context.Context, eventType string) error
}

// Broadcasts store broadcasts by id.
type Broadcasts interface {
	// Create stores b unless one with its id exists; then it returns that.
	Create(ctx context.Context, b domain.Broadcast) (domain.Broadcast, bool, error)
	Get(ctx context.Context, id string) (domain.Broadcast, error)
	Save(ctx context.Context, b domain.Broadcast, prev int64) error
	// List returns up to n broadcasts, newest first.
	List(ctx context.Context, n int) ([]domain.Broadcast, error)
	// Unfinished lists scheduled and running broadcasts.
	Unfinished(ctx context.Context) ([]domain.Broadcast, error)
}

// Contact is what the member service tells about a member.
type Contact struct {
	Consent     map[domain.Channel]bool
	Phone       string
	WechatBound bool
	// Gone is a deleted or blocked member: nothing is sent to them.
	Gone bool
}

// Members is the member service.
type Members interface {
	// Contact returns the member's consent and addresses; a member the
	// member service does not know is a NOT_FOUND fault.
	Contact(ctx context.Context, memberID string) (Contact, error)
	// Segment calls fn with every member id of the segment, in id order.
	Segment(ctx context.Context, segmentID string, fn func(memberID string) error) error
}

// Sender sends one rendered delivery on its channel. An error wrapped with
// Permanent is not retried (the provider refused the address or template).
type Sender interface {
	Send(ctx context.Context, d domain.Delivery, to Contact) (providerID string, err error)
}

type permanentErr struct{ error }

func (p permanentErr) Unwrap() error { return p.error }

// Permanent marks a send failure retrying cannot fix.
func Permanent(err error) error { return permanentErr{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentErr
	return errors.As(err, &p)
}
