package app

import (
	"context"
	"sync"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/messaging/internal/domain"
)

// Catalog keeps recently read rules and templates in memory for ttl: every
// event reads its rule and templates, and on the embedded store each read
// is a round trip. Writes through the catalog drop what they change at
// once; another instance's writes are seen within ttl.
type Catalog struct {
	rules     Rules
	templates Templates
	ttl       time.Duration
	clock     clock.Clock

	mu   sync.Mutex
	rule map[string]cachedRule
	tpl  map[string]cachedTemplate
}

type cachedRule struct {
	r     domain.Rule
	ok    bool
	until time.Time
}

type cachedTemplate struct {
	t     domain.Template
	until time.Time
}

// NewCatalog caches r and t for ttl.
func NewCatalog(r Rules, t Templates, ttl time.Duration, c clock.Clock) *Catalog {
	return &Catalog{rules: r, templates: t, ttl: ttl, clock: c, rule: map[string]cachedRule{}, tpl: map[string]cachedTemplate{}}
}

// Rules and Templates are the cached ports.
func (c *Catalog) Rules() Rules         { return catalogRules{c} }
func (c *Catalog) Templates() Templates { return catalogTemplates{c} }

func (c *Catalog) forgetRule(eventType string) {
	c.mu.Lock()
	delete(c.rule, eventType)
	c.mu.Unlock()
}

func (c *Catalog) forgetTemplate(id string) {
	c.mu.Lock()
	delete(c.tpl, id)
	c.mu.Unlock()
}

type catalogRules struct{ *Catalog }

func (c catalogRules) Get(ctx context.Context, eventType string) (domain.Rule, bool, error) {
	now := c.clock.Now()
	c.mu.Lock()
	e, hit := c.rule[eventType]
	c.mu.Unlock()
	if hit && now.Before(e.until) {
		return e.r, e.ok, nil
	}
	r, ok, err := c.rules.Get(ctx, eventType)
	if err == nil {
		c.mu.Lock()
		c.rule[eventType] = cachedRule{r: r, ok: ok, until: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return r, ok, err
}

func (c catalogRules) Put(ctx context.Context, r domain.Rule) error {
	defer c.forgetRule(r.EventType)
	return c.rules.Put(ctx, r)
}

func (c catalogRules) List(ctx context.Context) ([]domain.Rule, error) { return c.rules.List(ctx) }

func (c catalogRules) Delete(ctx context.Context, eventType string) error {
	defer c.forgetRule(eventType)
	return c.rules.Delete(ctx, eventType)
}

type catalogTemplates struct{ *Catalog }

func (c catalogTemplates) Get(ctx context.Context, id string) (domain.Template, error) {
	now := c.clock.Now()
	c.mu.Lock()
	e, hit := c.tpl[id]
	c.mu.Unlock()
	if hit && now.Before(e.until) {
		return e.t, nil
	}
	t, err := c.templates.Get(ctx, id)
	if err == nil {
		c.mu.Lock()
		c.tpl[id] = cachedTemplate{t: t, until: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return t, err
}

func (c catalogTemplates) Create(ctx context.Context, t domain.Template) error {
	defer c.forgetTemplate(t.ID)
	return c.templates.Create(ctx, t)
}

func (c catalogTemplates) Save(ctx context.Context, t domain.Template, prev int64) error {
	defer c.forgetTemplate(t.ID)
	return c.templates.Save(ctx, t, prev)
}

func (c catalogTemplates) List(ctx context.Context) ([]domain.Template, error) {
	return c.templates.List(ctx)
}

func (c catalogTemplates) Delete(ctx context.Context, id string) error {
	defer c.forgetTemplate(id)
	return c.templates.Delete(ctx, id)
}
