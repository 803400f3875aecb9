// Package domain holds the analytics rules: which tracking events the
// storefront may send and what a batch may hold.
package domain

import (
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
)

// Every reason the analytics service gives, declared once.
const (
	ReasonEventInvalid fault.Reason = "EVENT_INVALID"
)

// Types of tracking events.
var Types = map[string]bool{"page_view": true, "product_view": true, "add_to_cart": true, "search": true, "share": true}

// Event is one tracked event.
type Event struct {
	Type, Path, ProductID, Query string
	Props                        map[string]string
	At                           time.Time
}

// Batch is what one device sent at once.
type Batch struct {
	DeviceID, MemberID string
	Events             []Event
	ReceivedAt         time.Time
}

// Bounds of a batch.
const (
	MaxEvents   = 50
	maxProps    = 10
	maxText     = 64
	maxPathText = 256
	// An event's own clock may be off or the batch late, but not by more.
	maxSkew = 24 * time.Hour
)

func invalid(field, msg string) error {
	return fault.New(fault.Invalid, ReasonEventInvalid, msg, "field", field)
}

func validDevice(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// Validate checks a batch; an event's time too far from the server's is
// replaced by the time it arrived.
func (b *Batch) Validate() error {
	if !validDevice(b.DeviceID) {
		return invalid("device_id", "a device id of 8 to 64 letters, digits, - or _ is required")
	}
	if len(b.Events) == 0 || len(b.Events) > MaxEvents {
		return invalid("events", "a batch holds 1 to 50 events")
	}
	for i := range b.Events {
		e := &b.Events[i]
		switch {
		case !Types[e.Type]:
			return invalid("events.type", "type is page_view, product_view, add_to_cart, search or share")
		case utf8.RuneCountInString(e.Path) > maxPathText || utf8.RuneCountInString(e.ProductID) > maxText || utf8.RuneCountInString(e.Query) > maxText:
			return invalid("events", "path, product_id and query are at most 256, 64 and 64 characters")
		case len(e.Props) > maxProps:
			return invalid("events.props", "at most 10 properties")
		}
		for k, v := range e.Props {
			if k == "" || utf8.RuneCountInString(k) > maxText || utf8.RuneCountInString(v) > maxText {
				return invalid("events.props", "property keys and values are 1 to 64 characters")
			}
		}
		if e.At.IsZero() || e.At.Sub(b.ReceivedAt) > maxSkew || b.ReceivedAt.Sub(e.At) > maxSkew {
			e.At = b.ReceivedAt
		}
	}
	return nil
}

// Shanghai is the calendar days are counted in.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// Day is the Shanghai day of t, "2006-01-02".
func Day(t time.Time) string { return t.In(Shanghai).Format(time.DateOnly) }
