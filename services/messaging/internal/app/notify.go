package app

import (
	"context"
	"log/slog"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// Event is something that happened to a member that a rule may notify.
type Event struct {
	// ID is the event's id: with the template, member and channel it keys
	// each delivery, so a redelivered event sends nothing twice.
	ID       string
	Type     string
	MemberID string
	Vars     map[string]string
}

// Notifier turns events into deliveries as the notification rules say.
type Notifier struct {
	rules      Rules
	templates  Templates
	deliveries Deliveries
	dispatcher *Dispatcher
	clock      clock.Clock
	log        *slog.Logger
}

// NewNotifier wires the notifier.
func NewNotifier(r Rules, t Templates, d Deliveries, x *Dispatcher, c clock.Clock, log *slog.Logger) *Notifier {
	return &Notifier{rules: r, templates: t, deliveries: d, dispatcher: x, clock: c, log: log}
}

// Handle makes (or finds) the event's deliveries and tries each once.
// Send failures are the deliveries' own retries; an error returned here is
// infrastructure, and the event is redelivered.
func (n *Notifier) Handle(ctx context.Context, e Event) error {
	rule, ok, err := n.rules.Get(ctx, e.Type)
	if err != nil || !ok {
		return err
	}
	now := n.clock.Now()
	for _, t := range rule.Targets {
		tpl, err := n.templates.Get(ctx, t.TemplateID)
		if fault.KindOf(err) == fault.NotFound {
			n.log.WarnContext(ctx, "notification rule names a missing template", "event_type", e.Type, "template_id", t.TemplateID)
			continue
		}
		if err != nil {
			return err
		}
		for _, ch := range t.Channels {
			cause := e.ID + "/" + tpl.ID
			d := domain.Delivery{ID: domain.DeliveryID(cause, e.MemberID, ch), Cause: e.ID, MemberID: e.MemberID, Channel: ch, TemplateID: tpl.ID,
				Category: tpl.Category, Status: domain.StatusQueued, NextAttempt: now, CreatedAt: now, Version: 1,
				Vars: e.Vars, Log: []domain.Entry{{At: now, Status: domain.StatusQueued, Detail: e.Type}}}
			r, rerr := tpl.Render([]domain.Channel{ch}, e.Vars)
			if rerr != nil {
				// The template cannot be filled from this event: a dead
				// letter for operators, not a retry that cannot succeed.
				d.Status = domain.StatusDead
				d.Log = append(d.Log, domain.Entry{At: now, Status: domain.StatusDead, Detail: rerr.Error()})
			} else {
				d.Content = r[0]
			}
			if _, done, err := n.dispatcher.Immediate(ctx, d); done || err != nil {
				if err != nil {
					return err
				}
				continue
			}
			stored, _, err := n.deliveries.Create(ctx, d)
			if err != nil {
				return err
			}
			if _, err := n.dispatcher.Process(ctx, stored); err != nil {
				return err
			}
		}
	}
	return nil
}
