package domain

import (
	"strings"
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

func TestBatchValidation(t *testing.T) {
	now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	ok := func() Batch {
		return Batch{DeviceID: "dev_12345678", ReceivedAt: now, Events: []Event{{Type: "page_view", Path: "/", At: now}}}
	}
	with := func(f func(*Batch)) Batch { b := ok(); f(&b); return b }
	cases := []struct {
		name  string
		b     Batch
		field string
	}{
		{"valid", ok(), ""},
		{"short device", with(func(b *Batch) { b.DeviceID = "abc" }), "device_id"},
		{"device with a space", with(func(b *Batch) { b.DeviceID = "dev 12345678" }), "device_id"},
		{"empty batch", with(func(b *Batch) { b.Events = nil }), "events"},
		{"too many", with(func(b *Batch) { b.Events = make([]Event, 51) }), "events"},
		{"unknown type", with(func(b *Batch) { b.Events[0].Type = "click" }), "events.type"},
		{"long query", with(func(b *Batch) { b.Events[0].Query = strings.Repeat("裙", 65) }), "events"},
		{"too many props", with(func(b *Batch) {
			b.Events[0].Props = map[string]string{}
			for i := range 11 {
				b.Events[0].Props[string(rune('a'+i))] = "x"
			}
		}), "events.props"},
	}
	for _, c := range cases {
		err := c.b.Validate()
		f, _ := fault.As(err)
		if (c.field == "" && err != nil) || (c.field != "" && (f == nil || f.Reason != ReasonEventInvalid || f.Meta["field"] != c.field)) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
	late := with(func(b *Batch) { b.Events[0].At = now.Add(-48 * time.Hour) })
	if err := late.Validate(); err != nil || !late.Events[0].At.Equal(now) {
		t.Errorf("a clock far off is replaced by the arrival: %v %v", late.Events[0].At, err)
	}
	if Day(time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)) != "2026-12-04" {
		t.Error("days are Shanghai days")
	}
}
