package domain

import (
	"fmt"
	"time"

	"siyu.dev/pkg/fault"
)

// Event types a notification rule can name: what the service consumes.
const (
	EventOrderPaid         = "order.paid"
	EventOrderShipped      = "order.shipped"
	EventOrderReceived     = "order.received"
	EventOrderRefunded     = "order.refunded"
	EventMemberLevelChange = "member.level_changed"
	EventCouponExpiring    = "coupon.expiring"
	EventPointsExpiring    = "points.expiring"
	EventGroupSucceeded    = "group_buy.succeeded"
	EventGroupFailed       = "group_buy.failed"
)

// EventTypes lists them, with the variables each event supplies to templates.
var EventTypes = map[string][]string{
	EventOrderPaid:         {"order_id", "amount"},
	EventOrderShipped:      {"order_id", "carrier", "tracking_number"},
	EventOrderReceived:     {"order_id"},
	EventOrderRefunded:     {"order_id", "refund_amount"},
	EventMemberLevelChange: {"tier_id", "previous_tier_id"},
	EventCouponExpiring:    {"coupon_name", "expires_at"},
	EventPointsExpiring:    {"points", "expires_at"},
	EventGroupSucceeded:    {"order_id", "group_id"},
	EventGroupFailed:       {"order_id", "group_id"},
}

// Rule is what one event type sends: each target a template on channels.
type Rule struct {
	EventType string
	Targets   []Target
	UpdatedAt time.Time
}

// Target is one template and the channels it goes out on.
type Target struct {
	TemplateID string
	Channels   []Channel
}

// Validate checks the rule against the templates it names (by id).
func (r Rule) Validate(templates map[string]Template) error {
	if _, ok := EventTypes[r.EventType]; !ok {
		return fault.New(fault.Invalid, ReasonEventTypeUnknown, fmt.Sprintf("unknown event type %q", r.EventType), "field", "event_type")
	}
	if len(r.Targets) == 0 || len(r.Targets) > 5 {
		return fault.New(fault.Invalid, ReasonTemplateInvalid, "a rule has 1 to 5 targets", "field", "targets")
	}
	for _, t := range r.Targets {
		tpl, ok := templates[t.TemplateID]
		if !ok {
			return fault.New(fault.NotFound, ReasonTemplateNotFound, fmt.Sprintf("no template %q", t.TemplateID), "template_id", t.TemplateID)
		}
		if len(t.Channels) == 0 {
			return fault.New(fault.Invalid, ReasonChannelInvalid, "a target needs at least one channel", "field", "targets.channels")
		}
		for _, ch := range t.Channels {
			if !ch.Valid() {
				return fault.New(fault.Invalid, ReasonChannelInvalid, fmt.Sprintf("unknown channel %q", ch), "field", "targets.channels")
			}
			if _, err := tpl.Render([]Channel{ch}, samples(tpl)); fault.ReasonOf(err) == ReasonChannelNotInTemplate {
				return err
			}
		}
		// The event must supply every variable the template needs.
		have := map[string]bool{}
		for _, v := range EventTypes[r.EventType] {
			have[v] = true
		}
		for _, v := range tpl.Variables {
			if !have[v.Name] {
				return fault.New(fault.Invalid, ReasonVariableMissing, fmt.Sprintf("%s does not supply {{%s}} that %s uses", r.EventType, v.Name, tpl.ID), "variable", v.Name)
			}
		}
	}
	return nil
}

func samples(t Template) map[string]string {
	out := map[string]string{}
	for _, v := range t.Variables {
		out[v.Name] = v.Sample
	}
	return out
}
