// Package app holds the messaging service's use cases: notifications
// caused by events, and members' inboxes and subscriptions. Storage and
// channels are ports; adapters live outside.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// ErrStale is what a store answers when a compare-and-set lost: read again.
var ErrStale = fault.New(fault.Aborted, domain.ReasonConcurrentUpdate, "the document changed meanwhile: try again")

// casAttempts bounds the compare-and-set retries of one change.
const casAttempts = 16

// InboxStore keeps one inbox document per member.
type InboxStore interface {
	// Inbox is the member's inbox (empty, version 0, when there is none).
	Inbox(ctx context.Context, memberID string) (domain.Inbox, error)
	// SaveInbox writes b if its stored version is still b.Version (0: new),
	// otherwise ErrStale.
	SaveInbox(ctx context.Context, b domain.Inbox) error
}

// SubscriptionStore keeps one subscriptions document per member.
type SubscriptionStore interface {
	Subscriptions(ctx context.Context, memberID string) (domain.Subscriptions, error)
	SaveSubscriptions(ctx context.Context, s domain.Subscriptions) error
}

// DeliveryStore keeps deliveries by their idempotency id.
type DeliveryStore interface {
	// Create stores d unless a delivery with its id exists, which it then
	// returns with created false.
	Create(ctx context.Context, d domain.Delivery) (stored domain.Delivery, created bool, err error)
	// Save writes d if its stored version is still d.Version, bumping it.
	Save(ctx context.Context, d domain.Delivery) (domain.Delivery, error)
	// ByMember lists a member's deliveries, newest first (operators; it may scan).
	ByMember(ctx context.Context, memberID string, limit int) ([]domain.Delivery, error)
}

// WechatSender sends a rendered subscribe message (the platform, or the
// sandbox in development). A refusal that retrying cannot change is a
// fault of kind invalid or precondition.
type WechatSender interface {
	Send(ctx context.Context, memberID string, r domain.Rendered) (providerID string, err error)
}

// messageID is an inbox message's id: short, and fixed by the delivery
// that adds it, so a repeat adds nothing.
func messageID(deliveryID string) string {
	sum := sha256.Sum256([]byte(deliveryID))
	return hex.EncodeToString(sum[:8])
}

// modifyInbox applies change to the member's inbox with compare-and-set.
func modifyInbox(ctx context.Context, store InboxStore, memberID string, change func(*domain.Inbox) (bool, error)) (domain.Inbox, error) {
	for range casAttempts {
		b, err := store.Inbox(ctx, memberID)
		if err != nil {
			return b, err
		}
		changed, err := change(&b)
		if err != nil || !changed {
			return b, err
		}
		err = store.SaveInbox(ctx, b)
		if errors.Is(err, ErrStale) {
			continue
		}
		if err == nil {
			b.Version++
		}
		return b, err
	}
	return domain.Inbox{}, ErrStale
}

// Notice is one event to notify about: its id makes deliveries idempotent.
type Notice struct {
	EventID, EventType, MemberID string
	Vars                         map[string]string
	At                           time.Time
}

// Notifier turns events into deliveries on every channel their rule names,
// decided by the respect policy, each made once per event and channel.
type Notifier struct {
	rules      map[string]domain.Rule
	policy     domain.Policy
	deliveries DeliveryStore
	inboxes    InboxStore
	subs       SubscriptionStore
	wechat     WechatSender
	retry      domain.Retry
	clk        clock.Clock
}

// NewNotifier builds the notifier; wechat may be nil (subscribe messages
// are then suppressed as unreachable).
func NewNotifier(rules []domain.Rule, policy domain.Policy, deliveries DeliveryStore, inboxes InboxStore, subs SubscriptionStore, wechat WechatSender, clk clock.Clock) *Notifier {
	byType := map[string]domain.Rule{}
	for _, r := range rules {
		byType[r.EventType] = r
	}
	return &Notifier{rules: byType, policy: policy, deliveries: deliveries, inboxes: inboxes, subs: subs, wechat: wechat, retry: domain.DefaultRetry(), clk: clk}
}

// errRetry asks for the event again: a channel failed for a reason that may pass.
var errRetry = errors.New("a channel failed; the event is retried")

// Notify sends what n's rule says. A redelivered event finds its finished
// deliveries and sends nothing again; a failed send is retried when the
// event comes back (Notify returns an error), up to the retry policy, then
// the delivery is dead and visible to operators.
func (s *Notifier) Notify(ctx context.Context, n Notice) error {
	rule, ok := s.rules[n.EventType]
	if !ok || n.MemberID == "" {
		return nil
	}
	rendered, err := rule.Template.Render(rule.Template.Channels(), n.Vars)
	if err != nil {
		return err // a fault: the event is parked, retrying cannot fill a variable
	}
	var retry error
	for _, r := range rendered {
		if _, err := s.deliver(ctx, n, rule.Template, r); err != nil {
			if fault.Permanent(err) {
				return err
			}
			retry = errors.Join(retry, err)
		}
	}
	if retry != nil {
		return fmt.Errorf("%w: %v", errRetry, retry)
	}
	return nil
}

// deliver makes (or finds) the delivery of r for n and, unless it is
// finished, decides and sends it; it answers the delivery as it ends.
func (s *Notifier) deliver(ctx context.Context, n Notice, t domain.Template, r domain.Rendered) (domain.Delivery, error) {
	now := s.clk.Now()
	d := domain.Delivery{ID: domain.DeliveryID(n.EventID, n.MemberID, r.Channel), MemberID: n.MemberID, Channel: r.Channel, TemplateID: t.ID,
		Category: t.Category, Status: domain.StatusQueued, Log: []domain.Entry{{At: now, Status: domain.StatusQueued, Detail: n.EventType}}}
	d, _, err := s.deliveries.Create(ctx, d)
	if err != nil || d.Status.Final() {
		return d, err
	}
	dec, err := s.decide(ctx, now, n.MemberID, domain.Message{Category: t.Category, Channel: r.Channel, TemplateID: r.ProviderTemplate})
	if err != nil {
		return d, err
	}
	if err := d.Apply(now, dec); err != nil {
		return d, err
	}
	if dec.Verdict != domain.Send {
		d, err := s.deliveries.Save(ctx, d)
		return d, err
	}
	providerID, sendErr := s.send(ctx, n, d, r)
	if sendErr != nil {
		_ = d.Failed(s.clk.Now(), sendErr.Error(), fault.Permanent(sendErr), s.retry)
	} else {
		_ = d.Sent(s.clk.Now(), providerID)
	}
	if d, err = s.deliveries.Save(ctx, d); err != nil {
		return d, err
	}
	if sendErr != nil && d.Status != domain.StatusDead {
		return d, sendErr
	}
	return d, nil
}

// decide asks the policy about one message to memberID. For marketing it
// also takes the member's cap slot in the same compare-and-set as the
// decision, so concurrent broadcasts never pass a cap together (a send
// that then fails has used its slot: fewer messages, never more).
func (s *Notifier) decide(ctx context.Context, now time.Time, memberID string, m domain.Message) (domain.Decision, error) {
	for range casAttempts {
		rec := domain.Recipient{Reachable: map[domain.Channel]bool{}, SubscribeQuota: map[string]int{}, Consent: map[domain.Channel]bool{}}
		var prefs domain.Subscriptions
		if m.Channel == domain.ChannelWechatSubscribe || m.Category == domain.Marketing {
			var err error
			if prefs, err = s.subs.Subscriptions(ctx, memberID); err != nil {
				return domain.Decision{}, err
			}
			rec.SubscribeQuota[m.TemplateID] = prefs.Quota[m.TemplateID]
			rec.Unsubscribed = prefs.Unsubscribed
		}
		// With a WeChat sender every member is reachable in the
		// mini-program; a subscribe message still needs a grant of its
		// template (spent when it is sent).
		rec.Reachable[domain.ChannelWechatSubscribe] = s.wechat != nil
		// Marketing reaches only members the member service streamed as
		// consenting to the channel (see Broadcasts).
		rec.Consent[m.Channel] = m.Category == domain.Marketing
		dec := s.policy.Decide(now, m, rec, prefs.MarketingSent)
		if m.Category != domain.Marketing || dec.Verdict != domain.Send {
			return dec, nil
		}
		prefs.MemberID = memberID
		prefs.Marketed(now)
		err := s.subs.SaveSubscriptions(ctx, prefs)
		if errors.Is(err, ErrStale) {
			continue
		}
		return dec, err
	}
	return domain.Decision{}, ErrStale
}

func (s *Notifier) send(ctx context.Context, n Notice, d domain.Delivery, r domain.Rendered) (string, error) {
	switch r.Channel {
	case domain.ChannelInApp:
		id := messageID(d.ID)
		_, err := modifyInbox(ctx, s.inboxes, n.MemberID, func(b *domain.Inbox) (bool, error) {
			b.MemberID = n.MemberID
			return b.Add(domain.InboxMessage{ID: id, Title: r.Title, Body: r.Body, Link: r.Link, EventType: n.EventType, At: n.At}), nil
		})
		return "inbox:" + id, err
	case domain.ChannelWechatSubscribe:
		spent, err := s.spend(ctx, n.MemberID, r.ProviderTemplate)
		if err != nil {
			return "", err
		}
		if !spent {
			return "", fault.New(fault.Precondition, domain.ReasonNoSubscription, "the member has no subscription for this template left")
		}
		return s.wechat.Send(ctx, n.MemberID, r)
	}
	return "", fault.New(fault.Invalid, domain.ReasonChannelInvalid, "the service cannot send on this channel", "channel", string(r.Channel))
}

// spend uses one of the member's grants of templateID.
func (s *Notifier) spend(ctx context.Context, memberID, templateID string) (bool, error) {
	for range casAttempts {
		subs, err := s.subs.Subscriptions(ctx, memberID)
		if err != nil {
			return false, err
		}
		if !subs.Spend(templateID) {
			return false, nil
		}
		err = s.subs.SaveSubscriptions(ctx, subs)
		if errors.Is(err, ErrStale) {
			continue
		}
		return err == nil, err
	}
	return false, ErrStale
}

// Deliveries is a member's delivery log (operators).
func (s *Notifier) Deliveries(ctx context.Context, memberID string) ([]domain.Delivery, error) {
	if memberID == "" {
		return nil, fault.New(fault.Invalid, domain.ReasonMemberIDRequired, "member_id is required", "field", "member_id")
	}
	return s.deliveries.ByMember(ctx, memberID, 100)
}
