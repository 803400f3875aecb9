package domain

import (
	"time"

	"siyu.dev/pkg/fault"
)

// Shanghai is the calendar operators count days in.
var Shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// Stats are one day's order counts and money.
type Stats struct {
	Day                               string
	Placed, Paid, Cancelled, Refunded int64
	GMVFen, RefundedFen               int64
}

// DayRange is the UTC span of a Shanghai calendar day ("2026-12-03"; ""
// is the day of now).
func DayRange(day string, now time.Time) (string, time.Time, time.Time, error) {
	if day == "" {
		day = now.In(Shanghai).Format(time.DateOnly)
	}
	start, err := time.ParseInLocation(time.DateOnly, day, Shanghai)
	if err != nil {
		return "", time.Time{}, time.Time{}, fault.New(fault.Invalid, ReasonArgumentInvalid, "day is YYYY-MM-DD", "field", "day")
	}
	return day, start.UTC(), start.AddDate(0, 0, 1).UTC(), nil
}

// CountDay counts what happened to orders between from and to.
func CountDay(day string, orders []Order, from, to time.Time) Stats {
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	s := Stats{Day: day}
	for _, o := range orders {
		if !o.Status.Visible() {
			continue
		}
		if in(o.CreatedAt) {
			s.Placed++
		}
		if in(o.PaidAt) {
			s.Paid++
			s.GMVFen += o.PaidFen
		}
		if in(o.CancelledAt) {
			s.Cancelled++
		}
		for _, r := range o.Refunds {
			if in(r.At) {
				s.Refunded++
				s.RefundedFen += r.Fen
			}
		}
	}
	return s
}
