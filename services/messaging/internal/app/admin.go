package app

import (
	"context"
	"fmt"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// Admin is the back office: templates, rules and the delivery log.
type Admin struct {
	templates  Templates
	rules      Rules
	deliveries Deliveries
	dispatcher *Dispatcher
	clock      clock.Clock
}

// NewAdmin wires the back-office use cases; the dispatcher sends retried
// dead letters.
func NewAdmin(t Templates, r Rules, d Deliveries, x *Dispatcher, c clock.Clock) *Admin {
	return &Admin{templates: t, rules: r, deliveries: d, dispatcher: x, clock: c}
}

// CreateTemplate validates and stores a new template.
func (a *Admin) CreateTemplate(ctx context.Context, t domain.Template) (domain.Template, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	t.Version, t.UpdatedAt = 1, a.clock.Now()
	return t, a.templates.Create(ctx, t)
}

// UpdateTemplate replaces a template read at t.Version.
func (a *Admin) UpdateTemplate(ctx context.Context, t domain.Template) (domain.Template, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	cur, err := a.templates.Get(ctx, t.ID)
	if err != nil {
		return t, err
	}
	if cur.Version != t.Version {
		return t, fault.New(fault.Precondition, domain.ReasonTemplateVersion, fmt.Sprintf("the template is at version %d", cur.Version), "version", fmt.Sprint(cur.Version))
	}
	prev := t.Version
	t.Version, t.UpdatedAt = prev+1, a.clock.Now()
	if err := a.templates.Save(ctx, t, prev); conflict(err) {
		return t, fault.New(fault.Precondition, domain.ReasonTemplateVersion, "the template changed meanwhile")
	} else if err != nil {
		return t, err
	}
	return t, nil
}

// Template returns one template.
func (a *Admin) Template(ctx context.Context, id string) (domain.Template, error) {
	return a.templates.Get(ctx, id)
}

// Templates lists every template.
func (a *Admin) Templates(ctx context.Context) ([]domain.Template, error) {
	return a.templates.List(ctx)
}

// DeleteTemplate removes a template no rule names.
func (a *Admin) DeleteTemplate(ctx context.Context, id string) error {
	if _, err := a.templates.Get(ctx, id); err != nil {
		return err
	}
	rules, err := a.rules.List(ctx)
	if err != nil {
		return err
	}
	for _, r := range rules {
		for _, t := range r.Targets {
			if t.TemplateID == id {
				return fault.New(fault.Precondition, domain.ReasonTemplateInUse, "the rule of "+r.EventType+" sends it", "event_type", r.EventType)
			}
		}
	}
	return a.templates.Delete(ctx, id)
}

// Preview renders a saved template (by id) or t for channels, each missing
// variable filled with its sample.
func (a *Admin) Preview(ctx context.Context, id string, t *domain.Template, channels []domain.Channel, vars map[string]string) ([]domain.Rendered, error) {
	var tpl domain.Template
	if t != nil {
		if err := t.Validate(); err != nil {
			return nil, err
		}
		tpl = *t
	} else {
		var err error
		if tpl, err = a.templates.Get(ctx, id); err != nil {
			return nil, err
		}
	}
	if len(channels) == 0 {
		channels = tpl.Channels()
	}
	for _, ch := range channels {
		if !ch.Valid() {
			return nil, fault.New(fault.Invalid, domain.ReasonChannelInvalid, fmt.Sprintf("unknown channel %q", ch), "field", "channels")
		}
	}
	all := map[string]string{}
	for _, v := range tpl.Variables {
		all[v.Name] = v.Sample
	}
	for k, v := range vars {
		all[k] = v
	}
	return tpl.Render(channels, all)
}

// SetRule validates a rule against the templates and stores it.
func (a *Admin) SetRule(ctx context.Context, r domain.Rule) (domain.Rule, error) {
	tpls := map[string]domain.Template{}
	for _, t := range r.Targets {
		tpl, err := a.templates.Get(ctx, t.TemplateID)
		if err != nil && fault.KindOf(err) != fault.NotFound {
			return r, err
		}
		if err == nil {
			tpls[tpl.ID] = tpl
		}
	}
	if err := r.Validate(tpls); err != nil {
		return r, err
	}
	r.UpdatedAt = a.clock.Now()
	return r, a.rules.Put(ctx, r)
}

// Rules lists every rule.
func (a *Admin) Rules(ctx context.Context) ([]domain.Rule, error) { return a.rules.List(ctx) }

// DeleteRule removes an event type's rule.
func (a *Admin) DeleteRule(ctx context.Context, eventType string) error {
	return a.rules.Delete(ctx, eventType)
}

// Deliveries pages through the delivery log.
func (a *Admin) Deliveries(ctx context.Context, f DeliveryFilter, after string, n int) ([]domain.Delivery, error) {
	if f.Status != "" && !validStatus(f.Status) {
		return nil, fault.New(fault.Invalid, domain.ReasonStatusInvalid, fmt.Sprintf("unknown status %q", f.Status), "field", "status")
	}
	return a.deliveries.List(ctx, f, after, n)
}

func validStatus(s domain.Status) bool {
	switch s {
	case domain.StatusQueued, domain.StatusDeferred, domain.StatusSent, domain.StatusSuppressed, domain.StatusFailed, domain.StatusDead:
		return true
	}
	return false
}

// Retry renders a dead letter anew from its template and sends it through
// the policy again.
func (a *Admin) Retry(ctx context.Context, id, by string) (domain.Delivery, error) {
	d, err := a.deliveries.Get(ctx, id)
	if err != nil {
		return d, err
	}
	if d.Status != domain.StatusDead {
		return d, fault.New(fault.Precondition, domain.ReasonDeliveryNotDead, "only dead letters are retried", "status", string(d.Status))
	}
	tpl, err := a.templates.Get(ctx, d.TemplateID)
	if err != nil {
		return d, err
	}
	r, err := tpl.Render([]domain.Channel{d.Channel}, d.Vars)
	if err != nil {
		return d, err
	}
	if err := d.Requeue(a.clock.Now(), r[0], by); err != nil {
		return d, err
	}
	prev := d.Version
	d.Version++
	if err := a.deliveries.Save(ctx, d, prev); err != nil {
		if conflict(err) {
			return d, fault.New(fault.Aborted, domain.ReasonConflict, "the delivery changed meanwhile; try again")
		}
		return d, err
	}
	return a.dispatcher.Process(ctx, d)
}
