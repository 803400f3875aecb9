package domain

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
)

// BroadcastStatus is where a broadcast is.
type BroadcastStatus string

const (
	BroadcastScheduled BroadcastStatus = "SCHEDULED"
	BroadcastSending   BroadcastStatus = "SENDING"
	BroadcastDone      BroadcastStatus = "DONE"
	BroadcastCancelled BroadcastStatus = "CANCELLED"
)

// Broadcast is one marketing message to a member segment, sent at SendAt
// (later when it falls in quiet hours) and throttled to PerSecond members.
type Broadcast struct {
	ID, RequestID, Name, SegmentID string
	Title, Body, Link              string
	// Channels: in_app, and wechat_subscribe with WechatTemplateID.
	Channels         []Channel
	WechatTemplateID string
	SendAt           time.Time
	PerSecond        int
	Status           BroadcastStatus
	// Targeted members came from the segment; Sent and Suppressed count
	// deliveries, Suppressed also by reason.
	Targeted, Sent, Failed int64
	Suppressed             map[string]int64
	// LeaseUntil: the instance sending it holds it until then.
	LeaseUntil time.Time
	CreatedAt  time.Time
	FinishedAt time.Time
	Version    int64
}

// Limits of a broadcast.
const (
	maxBroadcastName  = 64
	defaultPerSecond  = 50
	maxPerSecond      = 1000
	maxScheduleAhead  = 90 * 24 * time.Hour
	broadcastTemplate = "broadcast"
)

func broadcastInvalid(field, msg string) error {
	return fault.New(fault.Invalid, ReasonBroadcastInvalid, msg, "field", field)
}

// Validate checks a new broadcast at now and fills its defaults.
func (b *Broadcast) Validate(now time.Time) error {
	b.Name, b.Title, b.Body = strings.TrimSpace(b.Name), strings.TrimSpace(b.Title), strings.TrimSpace(b.Body)
	switch {
	case b.Name == "" || utf8.RuneCountInString(b.Name) > maxBroadcastName:
		return broadcastInvalid("name", "a name of at most 64 characters is required")
	case b.SegmentID == "":
		return broadcastInvalid("segment_id", "segment_id is required")
	case b.PerSecond < 0 || b.PerSecond > maxPerSecond:
		return broadcastInvalid("per_second", "per_second is 0 (50) to 1000")
	case len(b.Channels) == 0:
		return broadcastInvalid("channels", "at least one channel")
	case !b.SendAt.IsZero() && b.SendAt.After(now.Add(maxScheduleAhead)):
		return broadcastInvalid("send_time", "a broadcast is scheduled at most 90 days ahead")
	}
	for _, c := range b.Channels {
		if c != ChannelInApp && c != ChannelWechatSubscribe {
			return broadcastInvalid("channels", "broadcasts go in_app or wechat_subscribe")
		}
	}
	if slices.Contains(b.Channels, ChannelWechatSubscribe) && b.WechatTemplateID == "" {
		return broadcastInvalid("wechat_template_id", "a WeChat broadcast names its subscribe template")
	}
	if b.PerSecond == 0 {
		b.PerSecond = defaultPerSecond
	}
	if b.SendAt.IsZero() || b.SendAt.Before(now) {
		b.SendAt = now
	}
	b.Status, b.CreatedAt = BroadcastScheduled, now
	b.Suppressed = map[string]int64{}
	return b.Template().Validate()
}

// Template is the broadcast as a marketing template of its channels.
func (b Broadcast) Template() Template {
	t := Template{ID: broadcastTemplate, Name: b.Name, Category: Marketing}
	for _, c := range b.Channels {
		switch c {
		case ChannelInApp:
			t.InApp = &InAppVariant{Title: b.Title, Body: b.Body, Link: b.Link}
		case ChannelWechatSubscribe:
			title := []rune(b.Title)
			if len(title) > maxWechatValueRune {
				title = title[:maxWechatValueRune]
			}
			t.Wechat = &WechatVariant{TemplateID: b.WechatTemplateID, Page: b.Link, Fields: map[string]string{"thing1": string(title)}}
		}
	}
	return t
}

// Due reports whether a runner should take the broadcast at now: it is
// scheduled and due, or an instance that took it stopped renewing its lease.
func (b Broadcast) Due(now time.Time) bool {
	switch b.Status {
	case BroadcastScheduled:
		return !now.Before(b.SendAt)
	case BroadcastSending:
		return now.After(b.LeaseUntil)
	}
	return false
}

// Cancel stops a broadcast that has not finished.
func (b *Broadcast) Cancel(now time.Time) error {
	switch b.Status {
	case BroadcastCancelled:
		return nil
	case BroadcastDone:
		return fault.New(fault.Precondition, ReasonBroadcastState, "the broadcast already finished")
	}
	b.Status, b.FinishedAt = BroadcastCancelled, now
	return nil
}

// Outcome is what happened to one member's delivery of a broadcast.
type Outcome struct {
	Sent, Failed bool
	// Suppressed is the reason a delivery did not go ("" if it went).
	Suppressed fault.Reason
}

// Count adds outcomes to the broadcast's counters.
func (b *Broadcast) Count(os ...Outcome) {
	for _, o := range os {
		switch {
		case o.Sent:
			b.Sent++
		case o.Failed:
			b.Failed++
		case o.Suppressed != "":
			if b.Suppressed == nil {
				b.Suppressed = map[string]int64{}
			}
			b.Suppressed[string(o.Suppressed)]++
		}
	}
}
