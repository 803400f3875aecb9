package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// Lease is how long a claimed delivery is left to the process that claimed
// it; if that process dies, the sweeper takes the delivery after it.
const Lease = time.Minute

// Dispatcher takes deliveries through the respect policy to their channel
// and records each outcome.
type Dispatcher struct {
	deliveries Deliveries
	settings   SettingsStore
	members    Members
	senders    map[domain.Channel]Sender
	policy     domain.Policy
	retry      domain.Retry
	clock      clock.Clock
}

// NewDispatcher wires the dispatcher; senders has one Sender per channel.
func NewDispatcher(d Deliveries, s SettingsStore, m Members, senders map[domain.Channel]Sender, p domain.Policy, r domain.Retry, c clock.Clock) *Dispatcher {
	return &Dispatcher{deliveries: d, settings: s, members: m, senders: senders, policy: p, retry: r, clock: c}
}

func conflict(err error) bool { return fault.ReasonOf(err) == domain.ReasonConflict }

// Process tries d once if it is due, and returns it as it now stands.
// A delivery another process has claimed is left alone. Infrastructure
// errors are returned; the claim's lease makes the sweeper try again.
func (x *Dispatcher) Process(ctx context.Context, d domain.Delivery) (domain.Delivery, error) {
	now := x.clock.Now()
	if !d.Due(now) {
		return d, nil
	}
	// Claim it: whoever moves the version first sends; the lease keeps the
	// sweeper off it meanwhile.
	prev := d.Version
	d.NextAttempt, d.Version = now.Add(Lease), prev+1
	if err := x.deliveries.Save(ctx, d, prev); err != nil {
		if conflict(err) {
			cur, gerr := x.deliveries.Get(ctx, d.ID)
			if gerr != nil {
				return d, gerr
			}
			return cur, nil
		}
		return d, err
	}

	var contact Contact
	if d.Channel != domain.ChannelInApp || d.Category == domain.Marketing {
		c, err := x.members.Contact(ctx, d.MemberID)
		switch {
		case fault.KindOf(err) == fault.NotFound:
			contact.Gone = true
		case err != nil:
			return d, err
		default:
			contact = c
		}
	}
	var dec domain.Decision
	if d.Channel == domain.ChannelInApp && d.Category != domain.Marketing {
		// An inbox message the member asked for: nothing in the policy
		// applies, so the settings are not read.
		dec = domain.Decision{Verdict: domain.Send}
	} else if contact.Gone {
		dec = domain.Decision{Verdict: domain.Suppress, Reason: domain.ReasonMemberGone}
	} else {
		var err error
		if dec, err = x.decide(ctx, now, d, contact); err != nil {
			return d, err
		}
	}
	if err := d.Apply(now, dec); err != nil {
		return d, err
	}
	if dec.Verdict == domain.Send {
		sender := x.senders[d.Channel]
		if sender == nil {
			_ = d.Failed(now, "no sender for channel "+string(d.Channel), true, x.retry)
		} else if id, err := sender.Send(ctx, d, contact); err != nil {
			_ = d.Failed(now, err.Error(), IsPermanent(err), x.retry)
		} else {
			_ = d.Sent(now, id)
		}
	}
	prev = d.Version
	d.Version++
	return d, x.deliveries.Save(ctx, d, prev)
}

// Immediate sends d, a new delivery, at once when nothing can hold it
// back, and records it already sent: an inbox message the member asked for
// passes no policy and reaches no provider, so it needs no claim and no
// pending entry (the inbox ignores a repeat, and so does the delivery log).
// It reports false, sending nothing, for any other delivery.
func (x *Dispatcher) Immediate(ctx context.Context, d domain.Delivery) (domain.Delivery, bool, error) {
	if d.Channel != domain.ChannelInApp || d.Category == domain.Marketing || d.Status != domain.StatusQueued || x.senders[domain.ChannelInApp] == nil {
		return d, false, nil
	}
	id, err := x.senders[domain.ChannelInApp].Send(ctx, d, Contact{})
	if err != nil {
		return d, true, err
	}
	if err := d.Sent(x.clock.Now(), id); err != nil {
		return d, true, err
	}
	stored, created, err := x.deliveries.Create(ctx, d)
	if err == nil && !created && !stored.Status.Final() {
		// A delivery of the same id made before (a crash, or an older run):
		// finish it the ordinary way; the inbox already has the message.
		stored, err = x.Process(ctx, stored)
	}
	return stored, true, err
}

// decide applies the policy with the member's settings and, when the
// verdict is to send something that counts against caps or spends a WeChat
// subscription, reserves it in the same compare-and-set as the decision was
// made on, so concurrent sends to one member cannot both pass a cap.
func (x *Dispatcher) decide(ctx context.Context, now time.Time, d domain.Delivery, c Contact) (domain.Decision, error) {
	reach := map[domain.Channel]bool{domain.ChannelSMS: c.Phone != "", domain.ChannelWechatSubscribe: c.WechatBound}
	msg := domain.Message{Category: d.Category, Channel: d.Channel}
	if d.Channel == domain.ChannelWechatSubscribe {
		msg.TemplateID = d.Content.ProviderTemplate
	}
	for range 8 {
		s, err := x.settings.Get(ctx, d.MemberID)
		if err != nil {
			return domain.Decision{}, err
		}
		r, sent := s.For(d.ID, domain.Recipient{Consent: c.Consent, Reachable: reach})
		dec := x.policy.Decide(now, msg, r, sent)
		marketing := d.Category == domain.Marketing
		if dec.Verdict != domain.Send || (!marketing && msg.TemplateID == "") || s.Reserved(d.ID) {
			return dec, nil
		}
		prev := s.Version
		s.Reserve(now, d.ID, marketing, msg.TemplateID)
		s.Version = prev + 1
		if err := x.settings.Save(ctx, s, prev); err == nil {
			return dec, nil
		} else if !conflict(err) {
			return domain.Decision{}, err
		}
	}
	return domain.Decision{}, fault.New(fault.Aborted, domain.ReasonConflict, "member settings kept changing")
}

// Sweep processes up to n due deliveries (deferrals that ended, retries
// whose backoff passed, claims whose process died) and reports how many it
// tried.
func (x *Dispatcher) Sweep(ctx context.Context, n int) (int, error) {
	due, err := x.deliveries.Due(ctx, x.clock.Now(), n)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		if _, err := x.Process(ctx, d); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

// InboxChannel delivers to the in-app inbox: the message is stored in the
// member's inbox document under an id derived from the delivery, so a
// retried delivery finds its message there and adds nothing.
type InboxChannel struct {
	inboxes Inboxes
	clock   clock.Clock
}

// NewInboxChannel stores messages in inboxes.
func NewInboxChannel(i Inboxes, c clock.Clock) *InboxChannel {
	return &InboxChannel{inboxes: i, clock: c}
}

// MessageID is the inbox id of a delivery's message: opaque, so it does not
// show the member id the delivery id contains.
func MessageID(deliveryID string) string {
	h := sha256.Sum256([]byte("inbox\x00" + deliveryID))
	return "msg_" + hex.EncodeToString(h[:12])
}

// Send adds the message.
func (c *InboxChannel) Send(ctx context.Context, d domain.Delivery, _ Contact) (string, error) {
	id := MessageID(d.ID)
	m := domain.InboxMessage{ID: id, Title: d.Content.Title, Body: d.Content.Body, Link: d.Content.Link, Category: d.Category, At: c.clock.Now()}
	err := updateInbox(ctx, c.inboxes, d.MemberID, func(b *domain.Inbox) error {
		if !b.Add(m) {
			return errUnchanged
		}
		return nil
	})
	return id, err
}

var errUnchanged = fmt.Errorf("unchanged")

// updateInbox applies change to the member's inbox with compare-and-set,
// retrying lost races; change returning errUnchanged writes nothing.
func updateInbox(ctx context.Context, store Inboxes, memberID string, change func(*domain.Inbox) error) error {
	for range 8 {
		b, err := store.Get(ctx, memberID)
		if err != nil {
			return err
		}
		b.MemberID = memberID
		if err := change(&b); err == errUnchanged {
			return nil
		} else if err != nil {
			return err
		}
		prev := b.Version
		b.Version = prev + 1
		if err := store.Save(ctx, b, prev); err == nil || !conflict(err) {
			return err
		}
	}
	return fault.New(fault.Aborted, domain.ReasonConflict, "the inbox kept changing; try again")
}
