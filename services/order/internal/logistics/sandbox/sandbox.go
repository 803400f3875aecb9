// Package sandbox is the logistics provider of development and tests: a
// parcel's trace is made up from its tracking number and shipping time and
// moves on as time passes (picked up, sorted, in transit, out for
// delivery, signed over about three days), so the shopper's timeline looks
// like a real one without a carrier.
package sandbox

import (
	"context"
	"hash/fnv"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/order/internal/app"
)

// Tracker makes up traces.
type Tracker struct {
	Clock clock.Clock
	// Speed divides the trace's delays (1: about three days to delivery;
	// dev mode may run it faster).
	Speed float64
}

type hop struct {
	after      time.Duration
	state, loc string
	text       string
}

var cities = []string{"杭州", "上海", "广州", "北京", "成都", "武汉", "南京", "西安"}

// route is a parcel's hops; the tracking number picks its cities.
func route(number string) []hop {
	h := fnv.New32a()
	_, _ = h.Write([]byte(number))
	n := int(h.Sum32())
	from, to := cities[n%len(cities)], cities[(n/7+1+n%len(cities))%len(cities)]
	if from == to {
		to = cities[(n+3)%len(cities)]
	}
	return []hop{
		{0, app.TraceInTransit, from, "快件已由" + from + "仓揽收"},
		{4 * time.Hour, app.TraceInTransit, from, "快件已到达" + from + "转运中心"},
		{10 * time.Hour, app.TraceInTransit, from, "快件已从" + from + "转运中心发出，发往" + to},
		{30 * time.Hour, app.TraceInTransit, to, "快件已到达" + to + "转运中心"},
		{40 * time.Hour, app.TraceDelivering, to, "快件正在派送中，派送员电话 13800000000"},
		{46 * time.Hour, app.TraceSigned, to, "快件已签收，签收人：本人"},
	}
}

// Trace answers the hops that have happened by now, newest first.
func (t Tracker) Trace(_ context.Context, q app.TraceQuery) (app.Trace, error) {
	speed := t.Speed
	if speed <= 0 {
		speed = 1
	}
	elapsed := t.Clock.Now().Sub(q.ShippedAt)
	out := app.Trace{State: app.TraceInTransit}
	for _, h := range route(q.TrackingNo) {
		after := time.Duration(float64(h.after) / speed)
		if elapsed < after {
			break
		}
		out.State = h.state
		out.Events = append([]app.TraceEvent{{At: q.ShippedAt.Add(after), Location: h.loc, Text: h.text}}, out.Events...)
	}
	return out, nil
}
