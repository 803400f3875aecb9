package idempotency

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/testkit"
)

func TestRepeatReturnsFirstAnswer(t *testing.T) {
	s := NewStore(testkit.DB(t).Collection("idem"), clock.System)
	ctx := context.Background()
	var runs atomic.Int32
	fn := func(context.Context) (proto.Message, error) {
		return wrapperspb.Int32(runs.Add(1)), nil
	}
	req := wrapperspb.String("pay order o1")
	for i := 0; i < 3; i++ {
		resp := &wrapperspb.Int32Value{}
		if err := s.Do(ctx, "pay", "r1", req, resp, fn); err != nil || resp.Value != 1 {
			t.Fatalf("call %d: %v %v", i, resp, err)
		}
	}
	err := s.Do(ctx, "pay", "r1", wrapperspb.String("pay order o2"), &wrapperspb.Int32Value{}, fn)
	if status.Code(err) != codes.FailedPrecondition || errs.Reason(err) != "REQUEST_ID_REUSED" {
		t.Fatalf("different request, same id: %v", err)
	}
	// Another scope is another namespace.
	resp := &wrapperspb.Int32Value{}
	if err := s.Do(ctx, "refund", "r1", req, resp, fn); err != nil || resp.Value != 2 {
		t.Fatalf("other scope: %v %v", resp, err)
	}
}

func TestFailureIsNotRemembered(t *testing.T) {
	s := NewStore(testkit.DB(t).Collection("idem"), clock.System)
	ctx := context.Background()
	boom := errors.New("boom")
	if err := s.Do(ctx, "x", "r", wrapperspb.String("a"), &wrapperspb.Int32Value{}, func(context.Context) (proto.Message, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	resp := &wrapperspb.Int32Value{}
	if err := s.Do(ctx, "x", "r", wrapperspb.String("a"), resp, func(context.Context) (proto.Message, error) { return wrapperspb.Int32(7), nil }); err != nil || resp.Value != 7 {
		t.Fatalf("retry after failure: %v %v", resp, err)
	}
}

func TestConcurrentDuplicatesRunOnce(t *testing.T) {
	s := NewStore(testkit.DB(t).Collection("idem"), clock.System)
	ctx := context.Background()
	var runs atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]error, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := &wrapperspb.Int32Value{}
			results[i] = s.Do(ctx, "c", "same", wrapperspb.String("q"), resp, func(context.Context) (proto.Message, error) {
				<-release
				return wrapperspb.Int32(runs.Add(1)), nil
			})
			if results[i] == nil && resp.Value != 1 {
				t.Errorf("answer %d", resp.Value)
			}
		}()
	}
	close(release)
	wg.Wait()
	if runs.Load() != 1 {
		t.Fatalf("fn ran %d times", runs.Load())
	}
	for _, err := range results {
		if err != nil && errs.Reason(err) != "REQUEST_IN_PROGRESS" {
			t.Errorf("unexpected error %v", err)
		}
	}
}
