package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"siyu.dev/pkg/fault"
)

// BroadcastStatus is where a broadcast stands.
type BroadcastStatus string

const (
	BroadcastScheduled BroadcastStatus = "scheduled"
	BroadcastRunning   BroadcastStatus = "running"
	BroadcastDone      BroadcastStatus = "done"
	BroadcastCancelled BroadcastStatus = "cancelled"
)

// Finished reports whether nothing more happens to the broadcast.
func (s BroadcastStatus) Finished() bool { return s == BroadcastDone || s == BroadcastCancelled }

// Broadcast is a marketing template sent to every member of a segment.
type Broadcast struct {
	ID         string
	SegmentID  string
	TemplateID string
	Channels   []Channel
	Vars       map[string]string
	SendAt     time.Time
	PerMinute  int
	Status     BroadcastStatus
	// Cursor is the last member id handled: a restarted run skips the
	// members up to it (the segment streams in member id order).
	Cursor     string
	Counts     Counts
	CreatedAt  time.Time
	FinishedAt time.Time
	Version    int64
}

// Counts are a broadcast's members and deliveries by first outcome.
type Counts struct {
	Members, Sent, Deferred, Suppressed, Failed int
}

// Add counts one delivery's status.
func (c *Counts) Add(s Status) {
	switch s {
	case StatusSent:
		c.Sent++
	case StatusDeferred:
		c.Deferred++
	case StatusSuppressed:
		c.Suppressed++
	case StatusFailed, StatusDead:
		c.Failed++
	}
}

// BroadcastID derives the id from the operator's request id, so a repeated
// create finds the first broadcast by _id.
func BroadcastID(requestID string) string {
	h := sha256.Sum256([]byte("broadcast\x00" + requestID))
	return "bc_" + hex.EncodeToString(h[:10])
}

func badBroadcast(field, msg string) error {
	return fault.New(fault.Invalid, ReasonBroadcastInvalid, msg, "field", field)
}

// Validate checks a new broadcast against its template.
func (b Broadcast) Validate(t Template) error {
	switch {
	case b.SegmentID == "":
		return badBroadcast("segment_id", "a segment is required")
	case t.Category != Marketing:
		return badBroadcast("template_id", "broadcasts send marketing templates only; transactional messages follow events")
	case b.PerMinute < 1 || b.PerMinute > 6000:
		return badBroadcast("per_minute", "per_minute must be 1 to 6000")
	case len(b.Channels) == 0:
		return badBroadcast("channels", "at least one channel")
	}
	for _, ch := range b.Channels {
		if !ch.Valid() {
			return fault.New(fault.Invalid, ReasonChannelInvalid, fmt.Sprintf("unknown channel %q", ch), "field", "channels")
		}
	}
	vars := samples(t)
	for k, v := range b.Vars {
		vars[k] = v
	}
	_, err := t.Render(b.Channels, vars)
	return err
}
