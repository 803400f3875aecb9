package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// BroadcastRunner creates broadcasts and sends them, member by member, at
// their rate.
type BroadcastRunner struct {
	store      Broadcasts
	templates  Templates
	deliveries Deliveries
	dispatcher *Dispatcher
	members    Members
	clock      clock.Clock
	wait       func(context.Context, time.Duration) error
	log        *slog.Logger
}

// Sleep waits d or until ctx ends: the throttle between members.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// NewBroadcastRunner wires broadcasts; wait is the throttle (Sleep).
func NewBroadcastRunner(s Broadcasts, t Templates, d Deliveries, x *Dispatcher, m Members, c clock.Clock, wait func(context.Context, time.Duration) error, log *slog.Logger) *BroadcastRunner {
	return &BroadcastRunner{store: s, templates: t, deliveries: d, dispatcher: x, members: m, clock: c, wait: wait, log: log}
}

// Create schedules b, idempotent by requestID.
func (r *BroadcastRunner) Create(ctx context.Context, requestID string, b domain.Broadcast) (domain.Broadcast, error) {
	requestID = strings.TrimSpace(requestID)
	if requestID == "" || len(requestID) > 64 {
		return b, fault.New(fault.Invalid, domain.ReasonRequestIDRequired, "request_id (1-64 characters) is required", "field", "request_id")
	}
	id := domain.BroadcastID(requestID)
	if got, err := r.store.Get(ctx, id); err == nil {
		return got, nil
	} else if fault.KindOf(err) != fault.NotFound {
		return b, err
	}
	tpl, err := r.templates.Get(ctx, b.TemplateID)
	if err != nil {
		return b, err
	}
	if err := b.Validate(tpl); err != nil {
		return b, err
	}
	now := r.clock.Now()
	b.ID, b.Status, b.CreatedAt, b.Version, b.Cursor, b.Counts = id, domain.BroadcastScheduled, now, 1, "", domain.Counts{}
	if b.SendAt.IsZero() {
		b.SendAt = now
	}
	got, _, err := r.store.Create(ctx, b)
	return got, err
}

// Get returns one broadcast.
func (r *BroadcastRunner) Get(ctx context.Context, id string) (domain.Broadcast, error) {
	return r.store.Get(ctx, id)
}

// List returns the newest broadcasts.
func (r *BroadcastRunner) List(ctx context.Context) ([]domain.Broadcast, error) {
	return r.store.List(ctx, 100)
}

// Cancel stops an unfinished broadcast.
func (r *BroadcastRunner) Cancel(ctx context.Context, id string) (domain.Broadcast, error) {
	for range 8 {
		b, err := r.store.Get(ctx, id)
		if err != nil {
			return b, err
		}
		switch b.Status {
		case domain.BroadcastCancelled:
			return b, nil
		case domain.BroadcastDone:
			return b, fault.New(fault.Precondition, domain.ReasonBroadcastFinished, "the broadcast has finished")
		}
		prev := b.Version
		b.Status, b.FinishedAt, b.Version = domain.BroadcastCancelled, r.clock.Now(), prev+1
		if err := r.store.Save(ctx, b, prev); err == nil || !conflict(err) {
			return b, err
		}
	}
	return domain.Broadcast{}, fault.New(fault.Aborted, domain.ReasonConflict, "the broadcast kept changing; try again")
}

var errStopBroadcast = errors.New("broadcast stopped")

// RunDue runs every broadcast whose time has come, one after another.
func (r *BroadcastRunner) RunDue(ctx context.Context) error {
	list, err := r.store.Unfinished(ctx)
	if err != nil {
		return err
	}
	for _, b := range list {
		if b.SendAt.After(r.clock.Now()) {
			continue
		}
		if err := r.run(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// run sends b to its segment. Progress (cursor and counts) is saved after
// every member with compare-and-set: a cancel in between makes the save
// lose, and the run stops; a restart resumes after the cursor, and
// deliveries keyed by broadcast, member and channel send nobody twice.
func (r *BroadcastRunner) run(ctx context.Context, b domain.Broadcast) error {
	tpl, err := r.templates.Get(ctx, b.TemplateID)
	if err != nil {
		return err
	}
	vars := map[string]string{}
	for _, v := range tpl.Variables {
		vars[v.Name] = v.Sample
	}
	for k, v := range b.Vars {
		vars[k] = v
	}
	content := map[domain.Channel]domain.Rendered{}
	for _, ch := range b.Channels {
		rr, err := tpl.Render([]domain.Channel{ch}, vars)
		if err != nil {
			return err
		}
		content[ch] = rr[0]
	}
	save := func() error {
		prev := b.Version
		b.Version = prev + 1
		err := r.store.Save(ctx, b, prev)
		if conflict(err) {
			return errStopBroadcast // cancelled, or another runner has it
		}
		return err
	}
	b.Status = domain.BroadcastRunning
	if err := save(); err != nil {
		return ignoreStop(err)
	}
	interval := time.Minute / time.Duration(b.PerMinute)
	err = r.members.Segment(ctx, b.SegmentID, func(memberID string) error {
		if memberID <= b.Cursor {
			return nil
		}
		now := r.clock.Now()
		for _, ch := range b.Channels {
			d := domain.Delivery{ID: domain.DeliveryID(b.ID, memberID, ch), Cause: b.ID, MemberID: memberID, Channel: ch, TemplateID: tpl.ID,
				Category: domain.Marketing, Status: domain.StatusQueued, NextAttempt: now, CreatedAt: now, Content: content[ch], Version: 1, Vars: vars,
				Log: []domain.Entry{{At: now, Status: domain.StatusQueued, Detail: "broadcast " + b.ID}}}
			stored, _, err := r.deliveries.Create(ctx, d)
			if err != nil {
				return err
			}
			done, err := r.dispatcher.Process(ctx, stored)
			if err != nil {
				return err
			}
			b.Counts.Add(done.Status)
		}
		b.Counts.Members++
		b.Cursor = memberID
		if err := save(); err != nil {
			return err
		}
		return r.wait(ctx, interval)
	})
	if err != nil {
		return ignoreStop(err)
	}
	b.Status, b.FinishedAt = domain.BroadcastDone, r.clock.Now()
	return ignoreStop(save())
}

func ignoreStop(err error) error {
	if errors.Is(err, errStopBroadcast) {
		return nil
	}
	return err
}
