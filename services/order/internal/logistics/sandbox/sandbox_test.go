package sandbox_test

import (
	"context"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/logistics/sandbox"
)

func TestTraceMovesOn(t *testing.T) {
	shipped := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	cases := []struct {
		after  time.Duration
		state  string
		events int
	}{
		{0, app.TraceInTransit, 1},
		{5 * time.Hour, app.TraceInTransit, 2},
		{41 * time.Hour, app.TraceDelivering, 5},
		{72 * time.Hour, app.TraceSigned, 6},
	}
	for _, c := range cases {
		tr, err := sandbox.Tracker{Clock: clock.NewFake(shipped.Add(c.after))}.Trace(context.Background(), app.TraceQuery{TrackingNo: "SF100", ShippedAt: shipped})
		if err != nil || tr.State != c.state || len(tr.Events) != c.events {
			t.Fatalf("after %v: %+v %v", c.after, tr, err)
		}
		if len(tr.Events) > 1 && tr.Events[0].At.Before(tr.Events[1].At) {
			t.Errorf("newest first: %+v", tr.Events)
		}
	}
	fast, _ := sandbox.Tracker{Clock: clock.NewFake(shipped.Add(time.Minute)), Speed: 3000}.Trace(context.Background(), app.TraceQuery{TrackingNo: "SF100", ShippedAt: shipped})
	if fast.State != app.TraceSigned {
		t.Errorf("a faster sandbox delivers in a minute: %+v", fast)
	}
}
