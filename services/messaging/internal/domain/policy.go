// Package domain holds the messaging rules: what may reach a member, on which
// channel, and when. It imports no gRPC, storage or NATS.
package domain

import (
	"fmt"
	"time"

	"siyu.dev/pkg/fault"
)

// Channel is a way to reach a member.
type Channel string

const (
	// ChannelInApp is the inbox inside the mall: stored, never pushed, so it
	// never wakes anyone.
	ChannelInApp Channel = "in_app"
	// ChannelSMS is a text message to the member's phone.
	ChannelSMS Channel = "sms"
	// ChannelWechatSubscribe is a WeChat mini-program subscribe message; each
	// one spends a one-time subscription the member granted for its template.
	ChannelWechatSubscribe Channel = "wechat_subscribe"
)

// Channels lists every channel, in the order operators see them.
var Channels = []Channel{ChannelInApp, ChannelSMS, ChannelWechatSubscribe}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	for _, k := range Channels {
		if c == k {
			return true
		}
	}
	return false
}

// Category separates what a member asked for (their order shipped) from what
// the brand wants to say (a sale): only marketing needs consent and is capped.
type Category int

const (
	Transactional Category = iota + 1
	Marketing
)

// Recipient is what the policy needs to know about a member.
type Recipient struct {
	// Consent is the member's marketing permission per channel.
	Consent map[Channel]bool
	// Unsubscribed channels take no marketing even if consent is on; the
	// member used a message's unsubscribe action.
	Unsubscribed map[Channel]bool
	// SubscribeQuota is how many one-time WeChat subscriptions the member has
	// granted per template id, as the mini-program reported them.
	SubscribeQuota map[string]int
	// Reachable says whether the channel has an address (a phone, an openid).
	Reachable map[Channel]bool
}

// Policy is the shop's respect settings. Zero caps mean "no marketing at all"
// only when Enforce is set; DefaultPolicy is what a new shop gets.
type Policy struct {
	// DailyCap and WeeklyCap bound marketing messages per member across all
	// channels: per calendar day in Location, and per rolling 7 days.
	DailyCap, WeeklyCap int
	// QuietStart and QuietEnd are minutes after local midnight; marketing
	// that would arrive in between waits until QuietEnd. Start > End spans
	// midnight (21:00-09:00); Start == End turns quiet hours off.
	QuietStart, QuietEnd int
	Location             *time.Location
}

// DefaultPolicy: at most one marketing message a day and three a week,
// nothing between 21:00 and 09:00 Beijing time.
func DefaultPolicy() Policy {
	return Policy{DailyCap: 1, WeeklyCap: 3, QuietStart: 21 * 60, QuietEnd: 9 * 60, Location: Shanghai()}
}

// Shanghai is Asia/Shanghai, or a fixed UTC+8 where the zone database is
// missing (China has had no daylight saving since 1991, so both agree).
func Shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// Validate refuses settings that cannot be meant.
func (p Policy) Validate() error {
	switch {
	case p.DailyCap < 0 || p.WeeklyCap < 0:
		return fault.New(fault.Invalid, ReasonPolicyInvalid, "caps cannot be negative")
	case p.WeeklyCap < p.DailyCap:
		return fault.New(fault.Invalid, ReasonPolicyInvalid, "the weekly cap cannot be below the daily cap")
	case p.QuietStart < 0 || p.QuietStart >= 24*60 || p.QuietEnd < 0 || p.QuietEnd >= 24*60:
		return fault.New(fault.Invalid, ReasonPolicyInvalid, "quiet hours are minutes after midnight, 0 to 1439")
	case p.Location == nil:
		return fault.New(fault.Invalid, ReasonPolicyInvalid, "a time zone is required")
	}
	return nil
}

// Verdict is what happens to one message.
type Verdict int

const (
	Send Verdict = iota + 1
	// Defer holds the message until Decision.Until, then decides again.
	Defer
	// Suppress drops the message and records why; it is never sent.
	Suppress
)

func (v Verdict) String() string {
	switch v {
	case Send:
		return "send"
	case Defer:
		return "defer"
	case Suppress:
		return "suppress"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// Decision is the policy's answer; Reason says why a message did not go now.
type Decision struct {
	Verdict Verdict
	Until   time.Time
	Reason  fault.Reason
}

// Message is what the policy needs to know about one message.
type Message struct {
	Category Category
	Channel  Channel
	// TemplateID names the WeChat subscribe template whose quota it spends.
	TemplateID string
}

// Decide applies, in order: the channel can reach the member; WeChat's
// one-time quota (every category: WeChat refuses without it); for marketing,
// consent and unsubscribes, quiet hours (defer, not drop) and the caps.
// sentMarketing are the times of marketing messages already sent to this
// member on any channel. Transactional messages are exempt from consent,
// quiet hours and caps: a shopper wants "your parcel shipped" at once.
func (p Policy) Decide(now time.Time, m Message, r Recipient, sentMarketing []time.Time) Decision {
	if !m.Channel.Valid() {
		return Decision{Verdict: Suppress, Reason: ReasonChannelInvalid}
	}
	if m.Channel != ChannelInApp && !r.Reachable[m.Channel] {
		return Decision{Verdict: Suppress, Reason: ReasonUnreachable}
	}
	if m.Channel == ChannelWechatSubscribe && r.SubscribeQuota[m.TemplateID] <= 0 {
		return Decision{Verdict: Suppress, Reason: ReasonNoSubscription}
	}
	if m.Category != Marketing {
		return Decision{Verdict: Send}
	}
	if !r.Consent[m.Channel] {
		return Decision{Verdict: Suppress, Reason: ReasonNoConsent}
	}
	if r.Unsubscribed[m.Channel] {
		return Decision{Verdict: Suppress, Reason: ReasonUnsubscribed}
	}
	// In-app messages wait in the inbox silently, so quiet hours spare them.
	if m.Channel != ChannelInApp {
		if until, quiet := p.quietUntil(now); quiet {
			return Decision{Verdict: Defer, Until: until, Reason: ReasonQuietHours}
		}
	}
	loc := p.Location
	y, mo, d := now.In(loc).Date()
	dayStart := time.Date(y, mo, d, 0, 0, 0, 0, loc)
	today, week := 0, 0
	for _, t := range sentMarketing {
		if t.After(now) {
			continue
		}
		if !t.Before(dayStart) {
			today++
		}
		if now.Sub(t) < 7*24*time.Hour {
			week++
		}
	}
	if today >= p.DailyCap {
		return Decision{Verdict: Suppress, Reason: ReasonDailyCap}
	}
	if week >= p.WeeklyCap {
		return Decision{Verdict: Suppress, Reason: ReasonWeeklyCap}
	}
	return Decision{Verdict: Send}
}

// quietUntil reports whether now is in quiet hours and, if so, when they end.
func (p Policy) quietUntil(now time.Time) (time.Time, bool) {
	if p.QuietStart == p.QuietEnd {
		return time.Time{}, false
	}
	local := now.In(p.Location)
	minute := local.Hour()*60 + local.Minute()
	var quiet bool
	if p.QuietStart < p.QuietEnd {
		quiet = minute >= p.QuietStart && minute < p.QuietEnd
	} else {
		quiet = minute >= p.QuietStart || minute < p.QuietEnd
	}
	if !quiet {
		return time.Time{}, false
	}
	y, mo, d := local.Date()
	end := time.Date(y, mo, d, p.QuietEnd/60, p.QuietEnd%60, 0, 0, p.Location)
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end, true
}
