// Package memstore keeps the messaging service's documents in memory, for
// use-case and gRPC tests; it behaves as the MongoDB store does (the
// storetest suite runs against both).
package memstore

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Store holds every collection.
type Store struct {
	mu         sync.Mutex
	deliveries map[string]domain.Delivery
	inboxes    map[string]domain.Inbox
	settings   map[string]domain.Settings
	templates  map[string]domain.Template
	rules      map[string]domain.Rule
	broadcasts map[string]domain.Broadcast
}

// New returns an empty store.
func New() *Store {
	return &Store{deliveries: map[string]domain.Delivery{}, inboxes: map[string]domain.Inbox{}, settings: map[string]domain.Settings{},
		templates: map[string]domain.Template{}, rules: map[string]domain.Rule{}, broadcasts: map[string]domain.Broadcast{}}
}

var errConflict = fault.New(fault.Aborted, domain.ReasonConflict, "the document changed meanwhile")

// Deliveries, Inboxes, … are the store's views as the app's ports.
func (s *Store) Deliveries() app.Deliveries  { return deliveries{s} }
func (s *Store) Inboxes() app.Inboxes        { return inboxes{s} }
func (s *Store) Settings() app.SettingsStore { return settingsStore{s} }
func (s *Store) Templates() app.Templates    { return templates{s} }
func (s *Store) Rules() app.Rules            { return rules{s} }
func (s *Store) Broadcasts() app.Broadcasts  { return broadcasts{s} }

type deliveries struct{ *Store }

func copyDelivery(d domain.Delivery) domain.Delivery {
	d.Log = slices.Clone(d.Log)
	return d
}

func (s deliveries) Create(_ context.Context, d domain.Delivery) (domain.Delivery, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if got, ok := s.deliveries[d.ID]; ok {
		return copyDelivery(got), false, nil
	}
	s.deliveries[d.ID] = copyDelivery(d)
	return d, true, nil
}

func (s deliveries) Get(_ context.Context, id string) (domain.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok {
		return d, fault.New(fault.NotFound, domain.ReasonDeliveryNotFound, "no such delivery")
	}
	return copyDelivery(d), nil
}

func (s deliveries) Save(_ context.Context, d domain.Delivery, prev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A stored delivery has a version of at least 1; prev 0 never matches.
	if cur, ok := s.deliveries[d.ID]; !ok || prev == 0 || cur.Version != prev {
		return errConflict
	}
	s.deliveries[d.ID] = copyDelivery(d)
	return nil
}

func (s deliveries) Due(_ context.Context, now time.Time, n int) ([]domain.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Delivery
	for _, d := range s.deliveries {
		if d.Due(now) {
			out = append(out, copyDelivery(d))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NextAttempt.Before(out[j].NextAttempt) })
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

// newer orders deliveries newest first, by id among equals: the page
// order of both stores.
func newer(a, b domain.Delivery) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

func (s deliveries) List(_ context.Context, f app.DeliveryFilter, after string, n int) ([]domain.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []domain.Delivery
	for _, d := range s.deliveries {
		if (f.MemberID == "" || d.MemberID == f.MemberID) && (f.Status == "" || d.Status == f.Status) && (f.Cause == "" || d.Cause == f.Cause) {
			all = append(all, copyDelivery(d))
		}
	}
	sort.Slice(all, func(i, j int) bool { return newer(all[i], all[j]) })
	if after != "" {
		i := slices.IndexFunc(all, func(d domain.Delivery) bool { return d.ID == after })
		all = all[i+1:] // a token naming no delivery of the listing starts over
	}
	if len(all) > n {
		all = all[:n]
	}
	return all, nil
}

type inboxes struct{ *Store }

func (s inboxes) Get(_ context.Context, memberID string) (domain.Inbox, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.inboxes[memberID]
	b.MemberID = memberID
	b.Messages = slices.Clone(b.Messages)
	return b, nil
}

func (s inboxes) Save(_ context.Context, b domain.Inbox, prev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inboxes[b.MemberID].Version != prev {
		return errConflict
	}
	b.Messages = slices.Clone(b.Messages)
	s.inboxes[b.MemberID] = b
	return nil
}

func (s inboxes) Delete(_ context.Context, memberID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inboxes, memberID)
	return nil
}

type settingsStore struct{ *Store }

func (s settingsStore) Delete(_ context.Context, memberID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.settings, memberID)
	return nil
}

func cloneSettings(v domain.Settings) domain.Settings {
	u := map[domain.Channel]bool{}
	for k, x := range v.Unsubscribed {
		u[k] = x
	}
	q := map[string]int{}
	for k, x := range v.Quota {
		q[k] = x
	}
	v.Unsubscribed, v.Quota, v.Marks = u, q, slices.Clone(v.Marks)
	return v
}

func (s settingsStore) Get(_ context.Context, memberID string) (domain.Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := cloneSettings(s.settings[memberID])
	v.MemberID = memberID
	return v, nil
}

func (s settingsStore) Save(_ context.Context, v domain.Settings, prev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.settings[v.MemberID].Version != prev {
		return errConflict
	}
	s.settings[v.MemberID] = cloneSettings(v)
	return nil
}

type templates struct{ *Store }

var errTemplateNotFound = fault.New(fault.NotFound, domain.ReasonTemplateNotFound, "no such template")

func (s templates) Create(_ context.Context, t domain.Template) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.templates[t.ID]; ok {
		return fault.New(fault.Conflict, domain.ReasonTemplateExists, "a template with this id exists", "template_id", t.ID)
	}
	s.templates[t.ID] = t
	return nil
}

func (s templates) Get(_ context.Context, id string) (domain.Template, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.templates[id]
	if !ok {
		return t, errTemplateNotFound
	}
	return t, nil
}

func (s templates) Save(_ context.Context, t domain.Template, prev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.templates[t.ID]
	if !ok {
		return errTemplateNotFound
	}
	if cur.Version != prev {
		return errConflict
	}
	s.templates[t.ID] = t
	return nil
}

func (s templates) List(context.Context) ([]domain.Template, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Template
	for _, t := range s.templates {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (s templates) Delete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.templates, id)
	return nil
}

type rules struct{ *Store }

func (s rules) Put(_ context.Context, r domain.Rule) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules[r.EventType] = r
	return nil
}

func (s rules) Get(_ context.Context, eventType string) (domain.Rule, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rules[eventType]
	return r, ok, nil
}

func (s rules) List(context.Context) ([]domain.Rule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Rule
	for _, r := range s.rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].EventType < out[j].EventType })
	return out, nil
}

func (s rules) Delete(_ context.Context, eventType string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rules, eventType)
	return nil
}

type broadcasts struct{ *Store }

func (s broadcasts) Create(_ context.Context, b domain.Broadcast) (domain.Broadcast, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if got, ok := s.broadcasts[b.ID]; ok {
		return got, false, nil
	}
	s.broadcasts[b.ID] = b
	return b, true, nil
}

func (s broadcasts) Get(_ context.Context, id string) (domain.Broadcast, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.broadcasts[id]
	if !ok {
		return b, fault.New(fault.NotFound, domain.ReasonBroadcastNotFound, "no such broadcast")
	}
	return b, nil
}

func (s broadcasts) Save(_ context.Context, b domain.Broadcast, prev int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.broadcasts[b.ID]; !ok || cur.Version != prev {
		return errConflict
	}
	s.broadcasts[b.ID] = b
	return nil
}

func (s broadcasts) List(_ context.Context, n int) ([]domain.Broadcast, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Broadcast
	for _, b := range s.broadcasts {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return strings.Compare(out[i].ID, out[j].ID) > 0
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}

func (s broadcasts) Unfinished(context.Context) ([]domain.Broadcast, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Broadcast
	for _, b := range s.broadcasts {
		if !b.Status.Finished() {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}
