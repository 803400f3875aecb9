package domain

import (
	"fmt"
	"time"

	"siyu.dev/pkg/fault"
)

// Status is where one delivery (one message to one member on one channel)
// stands. Every status change is kept in the delivery's log.
type Status string

const (
	StatusQueued     Status = "queued"
	StatusDeferred   Status = "deferred"
	StatusSent       Status = "sent"
	StatusSuppressed Status = "suppressed"
	// StatusFailed is a failed attempt that will be retried at NextAttempt.
	StatusFailed Status = "failed"
	// StatusDead gave up after MaxAttempts or on a permanent refusal; operators see it.
	StatusDead Status = "dead"
)

// Final reports whether nothing more will happen to a delivery in status s.
func (s Status) Final() bool { return s == StatusSent || s == StatusSuppressed || s == StatusDead }

// Retry is the backoff of failed sends: 30 s, 1 min, 2 min, … up to Max, at
// most Attempts tries in all.
type Retry struct {
	Attempts int
	First    time.Duration
	Max      time.Duration
}

// DefaultRetry tries six times over about 15 minutes.
func DefaultRetry() Retry { return Retry{Attempts: 6, First: 30 * time.Second, Max: 8 * time.Minute} }

// Backoff is the wait after the n-th failed attempt (n ≥ 1).
func (r Retry) Backoff(n int) time.Duration {
	d := r.First
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

// Entry is one line of a delivery's log.
type Entry struct {
	At     time.Time
	Status Status
	Detail string
}

// Delivery is one message to one member on one channel. Its id is derived
// from what caused it (event id or broadcast id, member, channel), so a
// redelivered event finds the delivery it already made and sends nothing.
type Delivery struct {
	ID string
	// Cause is the event id or broadcast id the delivery came from.
	Cause       string
	MemberID    string
	Channel     Channel
	TemplateID  string
	Category    Category
	Status      Status
	Attempts    int
	NextAttempt time.Time
	Log         []Entry
	// Content is the template rendered when the delivery was made, so every
	// retry sends the same words.
	Content Rendered
	// Vars are the template variables it was made with, so a dead letter
	// can be rendered again once its template is fixed.
	Vars      map[string]string
	CreatedAt time.Time
	Version   int64
}

// Due reports whether a sweeper should try d at now: not finished and its
// next attempt (a deferral's end, a retry's backoff, a claim's lease) passed.
func (d Delivery) Due(now time.Time) bool { return !d.Status.Final() && !d.NextAttempt.After(now) }

// DeliveryID is the idempotency key of a delivery.
func DeliveryID(cause, memberID string, ch Channel) string {
	return fmt.Sprintf("%s:%s:%s", cause, memberID, ch)
}

func (d *Delivery) move(at time.Time, s Status, detail string) {
	d.Status = s
	d.Log = append(d.Log, Entry{At: at, Status: s, Detail: detail})
}

var errFinal = fault.New(fault.Precondition, ReasonDeliveryFinal, "the delivery is already finished")

// Apply records the policy's decision on a queued, deferred or failed delivery.
func (d *Delivery) Apply(at time.Time, dec Decision) error {
	if d.Status.Final() {
		return errFinal
	}
	switch dec.Verdict {
	case Defer:
		d.NextAttempt = dec.Until
		d.move(at, StatusDeferred, string(dec.Reason))
	case Suppress:
		d.move(at, StatusSuppressed, string(dec.Reason))
	case Send:
		// The caller sends now and reports with Sent or Failed.
	default:
		return fault.New(fault.Invalid, ReasonDeliveryFinal, "unknown verdict")
	}
	return nil
}

// Sent records a successful send.
func (d *Delivery) Sent(at time.Time, providerID string) error {
	if d.Status.Final() {
		return errFinal
	}
	d.Attempts++
	d.move(at, StatusSent, providerID)
	return nil
}

// Failed records a failed send: retried with backoff unless the failure is
// permanent (the provider refused the address or template) or the attempts
// are used up, in which case it is a dead letter.
func (d *Delivery) Failed(at time.Time, reason string, permanent bool, r Retry) error {
	if d.Status.Final() {
		return errFinal
	}
	d.Attempts++
	if permanent || d.Attempts >= r.Attempts {
		d.move(at, StatusDead, reason)
		return nil
	}
	d.NextAttempt = at.Add(r.Backoff(d.Attempts))
	d.move(at, StatusFailed, reason)
	return nil
}

// Requeue gives a dead letter another round with content rendered anew:
// queued at at, attempts from zero, the log kept.
func (d *Delivery) Requeue(at time.Time, content Rendered, by string) error {
	if d.Status != StatusDead {
		return fault.New(fault.Precondition, ReasonDeliveryNotDead, "only dead letters are retried", "status", string(d.Status))
	}
	d.Content, d.Attempts, d.NextAttempt = content, 0, at
	d.move(at, StatusQueued, "retried by "+by)
	return nil
}
