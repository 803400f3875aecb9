package domain

import (
	"fmt"
	"regexp"
	"time"

	"siyu.dev/pkg/fault"
)

// Settings are what messaging keeps about one member beside member's
// consent: channels they unsubscribed from, WeChat one-time subscriptions
// left, and the marketing messages already sent (for the caps). One
// document per member, reached by their id.
type Settings struct {
	MemberID     string
	Unsubscribed map[Channel]bool
	// Quota is one-time WeChat subscriptions left per WeChat template id.
	Quota map[string]int
	// Marks are the sends that count against the caps or spent a
	// subscription, each by delivery id, so a delivery retried after a
	// failure is not counted twice.
	Marks   []Mark
	Version int64
}

// Mark is one send reserved against the member's caps or quota.
type Mark struct {
	DeliveryID string
	At         time.Time
	Marketing  bool
	// Template is the WeChat template whose subscription it spent, if any.
	Template string
}

const (
	maxGrantIDs    = 20
	maxQuotaPerTpl = 50
)

var wechatTemplateID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Grant adds one subscription per WeChat template id.
func (s *Settings) Grant(ids []string) error {
	if len(ids) == 0 || len(ids) > maxGrantIDs {
		return fault.New(fault.Invalid, ReasonSubscriptionInvalid, fmt.Sprintf("grant 1 to %d template ids", maxGrantIDs), "field", "wechat_template_ids")
	}
	if s.Quota == nil {
		s.Quota = map[string]int{}
	}
	next := map[string]int{}
	for _, id := range ids {
		if !wechatTemplateID.MatchString(id) {
			return fault.New(fault.Invalid, ReasonSubscriptionInvalid, fmt.Sprintf("%q is not a WeChat template id", id), "field", "wechat_template_ids")
		}
		next[id]++
		if s.Quota[id]+next[id] > maxQuotaPerTpl {
			return fault.New(fault.Invalid, ReasonSubscriptionInvalid, fmt.Sprintf("at most %d subscriptions of one template", maxQuotaPerTpl), "field", "wechat_template_ids")
		}
	}
	for id, n := range next {
		s.Quota[id] += n
	}
	return nil
}

// SetSubscribed unsubscribes from or subscribes again to marketing on ch.
func (s *Settings) SetSubscribed(ch Channel, subscribed bool) error {
	if !ch.Valid() {
		return fault.New(fault.Invalid, ReasonChannelInvalid, fmt.Sprintf("unknown channel %q", ch), "field", "channel")
	}
	if s.Unsubscribed == nil {
		s.Unsubscribed = map[Channel]bool{}
	}
	if subscribed {
		delete(s.Unsubscribed, ch)
	} else {
		s.Unsubscribed[ch] = true
	}
	return nil
}

// For is what the policy needs for delivery d: the member's recipient facts
// completed with the settings, and the marketing sends to count, leaving out
// d's own reservation (a retry of d is not capped by d).
func (s Settings) For(deliveryID string, r Recipient) (Recipient, []time.Time) {
	r.Unsubscribed = s.Unsubscribed
	quota := map[string]int{}
	for k, v := range s.Quota {
		quota[k] = v
	}
	var sent []time.Time
	for _, m := range s.Marks {
		if m.DeliveryID == deliveryID {
			if m.Template != "" {
				quota[m.Template]++
			}
			continue
		}
		if m.Marketing {
			sent = append(sent, m.At)
		}
	}
	r.SubscribeQuota = quota
	return r, sent
}

// Reserved reports whether d already holds its reservation.
func (s Settings) Reserved(deliveryID string) bool {
	for _, m := range s.Marks {
		if m.DeliveryID == deliveryID {
			return true
		}
	}
	return false
}

// Reserve records d's send against the caps (marketing) and spends one
// WeChat subscription (template, if any), before the send, so two
// concurrent sends cannot both pass a cap. Marks older than the weekly
// window are dropped; the document stays small.
func (s *Settings) Reserve(now time.Time, deliveryID string, marketing bool, template string) {
	if s.Reserved(deliveryID) {
		return
	}
	if template != "" {
		if s.Quota == nil {
			s.Quota = map[string]int{}
		}
		if s.Quota[template]--; s.Quota[template] <= 0 {
			delete(s.Quota, template)
		}
	}
	kept := s.Marks[:0:0]
	for _, m := range s.Marks {
		if now.Sub(m.At) < 8*24*time.Hour {
			kept = append(kept, m)
		}
	}
	s.Marks = append(kept, Mark{DeliveryID: deliveryID, At: now, Marketing: marketing, Template: template})
}
