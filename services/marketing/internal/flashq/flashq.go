// Package flashq counts flash-sale reservations with JetStream: one stream
// per activity, FLASH_<id>, on subjects siyu.flash.<id>.<member>, whose
// MaxMsgs is the activity's stock and MaxMsgsPerSubject the per-member
// limit, both with new messages discarded. The server accepts at most the
// stock, at most the limit per member, exactly, under any concurrency; a
// freed unit is a deleted message. A sold-out activity is answered from
// memory for a second, without asking the server.
package flashq

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/marketing/internal/domain"
)

// soldOutFor is how long a sold-out answer is given from memory; units
// freed by another instance are seen after it.
const soldOutFor = time.Second

// Counter is the JetStream adapter of app.Counter.
type Counter struct {
	js jetstream.JetStream

	mu      sync.Mutex
	soldOut map[string]time.Time
	streams map[string]jetstream.Stream
}

// New counts with js.
func New(js jetstream.JetStream) *Counter {
	return &Counter{js: js, soldOut: map[string]time.Time{}, streams: map[string]jetstream.Stream{}}
}

// StreamName is the activity's stream.
func StreamName(flashSaleID string) string { return "FLASH_" + flashSaleID }

func subject(flashSaleID, memberID string) string {
	return "siyu.flash." + flashSaleID + "." + memberID
}

func (c *Counter) config(f domain.FlashSale) jetstream.StreamConfig {
	return jetstream.StreamConfig{Name: StreamName(f.ID), Subjects: []string{"siyu.flash." + f.ID + ".*"},
		MaxMsgs: f.Stock, MaxMsgsPerSubject: f.PerMemberLimit, Discard: jetstream.DiscardNew, DiscardNewPerSubject: true,
		Storage: jetstream.FileStorage, Duplicates: 10 * time.Minute}
}

// Ensure creates or resizes the activity's stream.
func (c *Counter) Ensure(ctx context.Context, f domain.FlashSale) error {
	s, err := c.js.CreateOrUpdateStream(ctx, c.config(f))
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.streams[f.ID] = s
	delete(c.soldOut, f.ID)
	c.mu.Unlock()
	return nil
}

func (c *Counter) stream(ctx context.Context, id string) (jetstream.Stream, error) {
	c.mu.Lock()
	s, ok := c.streams[id]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := c.js.Stream(ctx, StreamName(id))
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such flash sale", "flash_sale_id", id)
	}
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.streams[id] = s
	c.mu.Unlock()
	return s, nil
}

var (
	errSoldOut = fault.New(fault.Exhausted, domain.ReasonFlashSoldOut, "this flash sale is sold out")
	errLimit   = fault.New(fault.Precondition, domain.ReasonFlashLimit, "you hold as many units of this flash sale as a member may")
)

// Reserve publishes the member's unit; the stream's limits accept or refuse it.
func (c *Counter) Reserve(ctx context.Context, flashSaleID, memberID, requestID string, payload []byte) (uint64, error) {
	c.mu.Lock()
	at, sold := c.soldOut[flashSaleID]
	c.mu.Unlock()
	if sold && time.Since(at) < soldOutFor {
		return 0, errSoldOut
	}
	msg := &nats.Msg{Subject: subject(flashSaleID, memberID), Data: payload, Header: nats.Header{}}
	msg.Header.Set(nats.MsgIdHdr, memberID+":"+requestID)
	ack, err := c.js.PublishMsg(ctx, msg)
	if err == nil {
		return ack.Sequence, nil
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch d := strings.ToLower(apiErr.Description); {
		case strings.Contains(d, "maximum messages per subject exceeded"):
			return 0, errLimit
		case strings.Contains(d, "maximum messages exceeded"):
			c.mu.Lock()
			c.soldOut[flashSaleID] = time.Now()
			c.mu.Unlock()
			return 0, errSoldOut
		}
	}
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		return 0, fault.New(fault.NotFound, domain.ReasonActivityNotFound, "no such flash sale", "flash_sale_id", flashSaleID)
	}
	return 0, err
}

// Unit reads who holds a unit.
func (c *Counter) Unit(ctx context.Context, flashSaleID string, seq uint64) (string, []byte, bool, error) {
	s, err := c.stream(ctx, flashSaleID)
	if err != nil {
		return "", nil, false, err
	}
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	return strings.TrimPrefix(m.Subject, "siyu.flash."+flashSaleID+"."), m.Data, true, nil
}

// Free deletes the unit's message: the stream has room again.
func (c *Counter) Free(ctx context.Context, flashSaleID string, seq uint64) error {
	s, err := c.stream(ctx, flashSaleID)
	if err != nil {
		return err
	}
	err = s.DeleteMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) || (err != nil && strings.Contains(strings.ToLower(err.Error()), "no message found")) {
		err = nil
	}
	if err == nil {
		c.mu.Lock()
		delete(c.soldOut, flashSaleID)
		c.mu.Unlock()
	}
	return err
}

// Reserved is the stream's message count.
func (c *Counter) Reserved(ctx context.Context, flashSaleID string) (int64, error) {
	s, err := c.stream(ctx, flashSaleID)
	if err != nil {
		return 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, err
	}
	return int64(info.State.Msgs), nil
}

// Durable is the consumer that places orders from reserved units.
const Durable = "marketing-flash-orders"

// Workers place an order for every reserved unit of every activity, one
// durable consumer per activity stream (shared by the instances).
type Workers struct {
	js    jetstream.JetStream
	place func(ctx context.Context, flashSaleID string, seq uint64) error
	log   *slog.Logger

	mu    sync.Mutex
	stops map[string]func()
}

// NewWorkers calls place for each unit.
func NewWorkers(js jetstream.JetStream, place func(ctx context.Context, flashSaleID string, seq uint64) error, log *slog.Logger) *Workers {
	return &Workers{js: js, place: place, log: log, stops: map[string]func(){}}
}

// Start consumes the activity's units unless already consuming them.
func (w *Workers) Start(ctx context.Context, flashSaleID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.stops[flashSaleID]; ok {
		return nil
	}
	stop, err := natsx.Consume(ctx, w.js, natsx.ConsumerConfig{Stream: StreamName(flashSaleID), Durable: Durable, Logger: w.log,
		// The order service may be down for a while: keep the unit and
		// keep trying rather than park it.
		MaxDeliver: 1000, Backoff: []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}},
		func(ctx context.Context, m natsx.Message) error {
			return natsx.ByRule(w.place(ctx, flashSaleID, m.Seq))
		})
	if err != nil {
		return err
	}
	w.stops[flashSaleID] = stop
	return nil
}

// Stop ends every consumer.
func (w *Workers) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, stop := range w.stops {
		stop()
		delete(w.stops, id)
	}
}
