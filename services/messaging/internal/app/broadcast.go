package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/messaging/internal/domain"
)

// BroadcastStore keeps broadcasts by id.
type BroadcastStore interface {
	// InsertBroadcast stores b unless one with its id exists, which it answers.
	InsertBroadcast(ctx context.Context, b domain.Broadcast) (domain.Broadcast, bool, error)
	// Broadcast is BROADCAST_NOT_FOUND when there is none.
	Broadcast(ctx context.Context, id string) (domain.Broadcast, error)
	SaveBroadcast(ctx context.Context, b domain.Broadcast) (domain.Broadcast, error)
	RecentBroadcasts(ctx context.Context, limit int) ([]domain.Broadcast, error)
	OpenBroadcasts(ctx context.Context) ([]domain.Broadcast, error)
}

// SegmentSource streams a member segment (the member service).
type SegmentSource interface {
	// Each calls fn with every member of the segment who consents now to
	// every channel in consents; an unknown segment is a fault.
	Each(ctx context.Context, segmentID string, consents []string, fn func(memberID string) error) error
}

// Broadcasts are operators' marketing messages to member segments.
type Broadcasts struct {
	store    BroadcastStore
	segments SegmentSource
	notifier *Notifier
	policy   domain.Policy
	clk      clock.Clock
	// lease is how long one runner holds a broadcast between renewals.
	lease time.Duration
	sleep func(ctx context.Context, d time.Duration)
}

// NewBroadcasts builds the broadcast use cases.
func NewBroadcasts(store BroadcastStore, segments SegmentSource, notifier *Notifier, policy domain.Policy, clk clock.Clock) *Broadcasts {
	return &Broadcasts{store: store, segments: segments, notifier: notifier, policy: policy, clk: clk, lease: time.Minute, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Create schedules a broadcast. The request id makes a retry safe: the same
// id and content answer the first broadcast, another content is
// REQUEST_ID_REUSED.
func (s *Broadcasts) Create(ctx context.Context, requestID string, b domain.Broadcast) (domain.Broadcast, error) {
	if requestID == "" || len(requestID) > 64 {
		return domain.Broadcast{}, fault.New(fault.Invalid, domain.ReasonRequestIDRequired, "request_id is required (at most 64 characters)", "field", "request_id")
	}
	if err := b.Validate(s.clk.Now()); err != nil {
		return domain.Broadcast{}, err
	}
	sum := sha256.Sum256([]byte(requestID))
	b.ID, b.RequestID = "bc"+hex.EncodeToString(sum[:8]), requestID
	got, created, err := s.store.InsertBroadcast(ctx, b)
	if err != nil || created {
		return got, err
	}
	if got.Name != b.Name || got.SegmentID != b.SegmentID || got.Title != b.Title || got.Body != b.Body || !slices.Equal(got.Channels, b.Channels) {
		return domain.Broadcast{}, fault.New(fault.Conflict, domain.ReasonRequestIDReused, "this request_id created another broadcast", "broadcast_id", got.ID)
	}
	return got, nil
}

// Get reads a broadcast.
func (s *Broadcasts) Get(ctx context.Context, id string) (domain.Broadcast, error) {
	return s.store.Broadcast(ctx, id)
}

// Recent lists the latest broadcasts.
func (s *Broadcasts) Recent(ctx context.Context) ([]domain.Broadcast, error) {
	return s.store.RecentBroadcasts(ctx, 50)
}

// Cancel stops a broadcast; members already reached stay reached.
func (s *Broadcasts) Cancel(ctx context.Context, id string) (domain.Broadcast, error) {
	for range casAttempts {
		b, err := s.store.Broadcast(ctx, id)
		if err != nil {
			return b, err
		}
		if b.Status == domain.BroadcastCancelled {
			return b, nil
		}
		if err := b.Cancel(s.clk.Now()); err != nil {
			return b, err
		}
		b, err = s.store.SaveBroadcast(ctx, b)
		if errors.Is(err, ErrStale) {
			continue
		}
		return b, err
	}
	return domain.Broadcast{}, ErrStale
}

// RunDue sends every broadcast that is due; each runner takes one with a
// lease, so instances share the work and a crashed runner's broadcast is
// taken over (deliveries are idempotent per member and channel, so a
// member reached before the crash is not reached again).
func (s *Broadcasts) RunDue(ctx context.Context) error {
	open, err := s.store.OpenBroadcasts(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range open {
		if b.Due(s.clk.Now()) {
			errs = append(errs, s.run(ctx, b))
		}
	}
	return errors.Join(errs...)
}

// quietUntil is when a broadcast on its channels may go out, if not now:
// quiet hours are the shop's, the same for every member.
func (s *Broadcasts) quietUntil(b domain.Broadcast) (time.Time, bool) {
	for _, c := range b.Channels {
		dec := s.policy.Decide(s.clk.Now(), domain.Message{Category: domain.Marketing, Channel: c}, domain.Recipient{
			Consent: map[domain.Channel]bool{c: true}, Reachable: map[domain.Channel]bool{c: true}, SubscribeQuota: map[string]int{"": 1}}, nil)
		if dec.Verdict == domain.Defer {
			return dec.Until, true
		}
	}
	return time.Time{}, false
}

var errCancelled = errors.New("the broadcast was cancelled")

func (s *Broadcasts) run(ctx context.Context, b domain.Broadcast) error {
	if until, quiet := s.quietUntil(b); quiet {
		b.SendAt, b.Status = until, domain.BroadcastScheduled
		_, err := s.store.SaveBroadcast(ctx, b)
		if errors.Is(err, ErrStale) {
			return nil
		}
		return err
	}
	// Taking it resets the counts: a run after a crash counts every member
	// again from their deliveries.
	b.Status, b.LeaseUntil = domain.BroadcastSending, s.clk.Now().Add(s.lease)
	b.Targeted, b.Sent, b.Failed, b.Suppressed = 0, 0, 0, map[string]int64{}
	b, err := s.store.SaveBroadcast(ctx, b)
	if errors.Is(err, ErrStale) {
		return nil // another runner took it
	}
	if err != nil {
		return err
	}
	consents := make([]string, 0, len(b.Channels))
	for _, c := range b.Channels {
		consents = append(consents, string(c))
	}
	pause := time.Second / time.Duration(b.PerSecond)
	err = s.segments.Each(ctx, b.SegmentID, consents, func(memberID string) error {
		outs, err := s.notifier.BroadcastTo(ctx, b, memberID)
		if err != nil {
			return err
		}
		b.Targeted++
		b.Count(outs...)
		if b.Targeted%50 == 0 {
			if b, err = s.checkpoint(ctx, b); err != nil {
				return err
			}
		}
		s.sleep(ctx, pause)
		return ctx.Err()
	})
	if errors.Is(err, errCancelled) {
		return nil
	}
	if err != nil {
		return err // the lease runs out and a runner starts it again
	}
	b.Status, b.FinishedAt = domain.BroadcastDone, s.clk.Now()
	_, err = s.checkpoint(ctx, b)
	if errors.Is(err, errCancelled) {
		return nil
	}
	return err
}

// checkpoint saves b's counts and renews its lease, unless an operator
// cancelled it meanwhile.
func (s *Broadcasts) checkpoint(ctx context.Context, b domain.Broadcast) (domain.Broadcast, error) {
	if b.Status == domain.BroadcastSending {
		b.LeaseUntil = s.clk.Now().Add(s.lease)
	}
	for range casAttempts {
		saved, err := s.store.SaveBroadcast(ctx, b)
		if !errors.Is(err, ErrStale) {
			return saved, err
		}
		cur, err := s.store.Broadcast(ctx, b.ID)
		if err != nil {
			return b, err
		}
		if cur.Status == domain.BroadcastCancelled {
			return cur, errCancelled
		}
		b.Version = cur.Version
	}
	return b, ErrStale
}

// BroadcastTo delivers broadcast b to one member on each of its channels.
func (s *Notifier) BroadcastTo(ctx context.Context, b domain.Broadcast, memberID string) ([]domain.Outcome, error) {
	t := b.Template()
	rendered, err := t.Render(b.Channels, nil)
	if err != nil {
		return nil, err
	}
	n := Notice{EventID: b.ID, EventType: "broadcast", MemberID: memberID, At: s.clk.Now()}
	outs := make([]domain.Outcome, 0, len(rendered))
	for _, r := range rendered {
		d, err := s.deliver(ctx, n, t, r)
		if err != nil && fault.KindOf(err) == 0 && d.ID == "" {
			return outs, err // the store failed: the runner retries later
		}
		switch d.Status {
		case domain.StatusSent:
			outs = append(outs, domain.Outcome{Sent: true})
		case domain.StatusSuppressed:
			reason := ""
			if len(d.Log) > 0 {
				reason = d.Log[len(d.Log)-1].Detail
			}
			outs = append(outs, domain.Outcome{Suppressed: fault.Reason(reason)})
		default:
			outs = append(outs, domain.Outcome{Failed: true})
		}
	}
	return outs, nil
}
