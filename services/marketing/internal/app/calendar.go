package app

import (
	"context"
	"sort"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Entry is one activity on the operators' calendar.
type Entry struct {
	Kind       domain.PromotionKind
	ID, Name   string
	Start, End time.Time
	Ended      bool
}

// Status says where the entry is at now.
func (e Entry) Status(now time.Time) string {
	switch {
	case e.Ended || !now.Before(e.End):
		return "OVER"
	case now.Before(e.Start):
		return "SCHEDULED"
	}
	return "RUNNING"
}

// Scheduled is a kind of activity that can be put on the calendar.
type Scheduled interface {
	Entries(ctx context.Context) ([]Entry, error)
}

// ScheduledFunc adapts a function.
type ScheduledFunc func(ctx context.Context) ([]Entry, error)

func (f ScheduledFunc) Entries(ctx context.Context) ([]Entry, error) { return f(ctx) }

// Calendar puts every kind of activity on one timeline.
type Calendar struct {
	sources []Scheduled
	clk     clock.Clock
}

// NewCalendar reads the activities of each source.
func NewCalendar(clk clock.Clock, sources ...Scheduled) *Calendar {
	return &Calendar{sources: sources, clk: clk}
}

// maxCalendarSpan bounds one calendar page.
const maxCalendarSpan = 92 * 24 * time.Hour

// Between returns the activities that run at some point in [from, to), by start.
func (c *Calendar) Between(ctx context.Context, from, to time.Time) ([]Entry, error) {
	if from.IsZero() || to.IsZero() || !from.Before(to) || to.Sub(from) > maxCalendarSpan {
		return nil, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "from before to, at most 92 days apart", "field", "to")
	}
	var out []Entry
	for _, s := range c.sources {
		entries, err := s.Entries(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Start.Before(to) && from.Before(e.End) {
				out = append(out, e)
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start.Before(out[b].Start) })
	return out, nil
}

// Calendar sources of the activities kept here.

// TemplateEntries are the coupon templates with a fixed period.
func TemplateEntries(t Templates) Scheduled {
	return ScheduledFunc(func(ctx context.Context) ([]Entry, error) {
		all, err := t.List(ctx)
		var out []Entry
		for _, x := range all {
			if !x.ValidFrom.IsZero() {
				out = append(out, Entry{Kind: domain.KindCoupon, ID: x.ID, Name: x.Name, Start: x.ValidFrom, End: x.ValidTo, Ended: x.Ended})
			}
		}
		return out, err
	})
}

// FlashSaleEntries are the flash sales.
func FlashSaleEntries(s FlashSaleStore) Scheduled {
	return ScheduledFunc(func(ctx context.Context) ([]Entry, error) {
		all, err := s.List(ctx)
		out := make([]Entry, 0, len(all))
		for _, x := range all {
			out = append(out, Entry{Kind: domain.KindFlashSale, ID: x.ID, Name: x.Name, Start: x.Start, End: x.End, Ended: x.Ended})
		}
		return out, err
	})
}

// DiscountEntries are the timed prices and full reductions.
func DiscountEntries(s DiscountStore) Scheduled {
	return ScheduledFunc(func(ctx context.Context) ([]Entry, error) {
		all, err := s.List(ctx)
		out := make([]Entry, 0, len(all))
		for _, x := range all {
			kind := domain.KindFullReduction
			if x.Type == domain.TimedPrice {
				kind = domain.KindTimedPrice
			}
			out = append(out, Entry{Kind: kind, ID: x.ID, Name: x.Name, Start: x.Start, End: x.End, Ended: x.Ended})
		}
		return out, err
	})
}

// Now is the calendar's clock reading (entries' status).
func (c *Calendar) Now() time.Time { return c.clk.Now() }

// GroupBuyEntries are the group-buy activities.
func GroupBuyEntries(g *GroupBuys) Scheduled {
	return ScheduledFunc(func(ctx context.Context) ([]Entry, error) {
		all, err := g.Activities(ctx)
		out := make([]Entry, 0, len(all))
		for _, x := range all {
			out = append(out, Entry{Kind: domain.KindGroupBuy, ID: x.ID, Name: x.Name, Start: x.Start, End: x.End})
		}
		return out, err
	})
}

// BargainEntries are the bargain activities.
func BargainEntries(b *Bargains) Scheduled {
	return ScheduledFunc(func(ctx context.Context) ([]Entry, error) {
		all, err := b.Activities(ctx)
		out := make([]Entry, 0, len(all))
		for _, x := range all {
			out = append(out, Entry{Kind: domain.KindBargain, ID: x.ID, Name: x.Name, Start: x.Start, End: x.End})
		}
		return out, err
	})
}
