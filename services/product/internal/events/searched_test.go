package events

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"siyu.dev/pkg/natsx"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
)

// TestSearchPublisherNeverBlocks stalls the broker: searches keep returning
// at once, the buffer fills, the overflow is dropped and counted, and what
// was buffered is published once the broker answers again.
func TestSearchPublisherNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	got := make(chan natsx.Event, 100)
	taken := make(chan struct{}, 100)
	p := NewSearchPublisher(func(ctx context.Context, e natsx.Event) error {
		taken <- struct{}{}
		<-release
		got <- e
		return nil
	}, 4, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)

	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	start := time.Now()
	for i := 0; i < 20; i++ {
		if i == 1 {
			<-taken // the worker is stuck on the first
		}
		p.Searched(context.Background(), domain.Searched{EventID: "ev-" + string(rune('a'+i)), At: at, Query: "连衣裙", MemberID: "m-1", Results: 3})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("20 searches took %v with the broker stalled", d)
	}
	// The worker holds one event, the buffer four: the other fifteen are dropped.
	if n := p.Dropped(); n != 15 {
		t.Errorf("dropped %d, want 15", n)
	}
	close(release)
	for i := 0; i < 5; i++ {
		select {
		case e := <-got:
			var m productv1.ProductSearched
			if err := proto.Unmarshal(e.Payload, &m); err != nil || e.Subject != SubjectSearched || e.ID != m.EventId ||
				m.Query != "连衣裙" || m.MemberId != "m-1" || m.ResultCount != 3 || !m.OccurredAt.AsTime().Equal(at) {
				t.Errorf("event %d: %s %s %v %v", i, e.Subject, e.ID, &m, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d events published", i)
		}
	}
}
