package domain

import (
	"testing"
	"time"

	"siyu.dev/pkg/fault"
)

func TestRetryBackoff(t *testing.T) {
	r := DefaultRetry()
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 8 * time.Minute}
	for i, w := range want {
		if got := r.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestDeliveryLifecycle(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)
	r := Retry{Attempts: 3, First: time.Second, Max: time.Minute}
	cases := []struct {
		name     string
		steps    func(d *Delivery) error
		want     Status
		attempts int
		logLen   int
	}{
		{"sent at once", func(d *Delivery) error {
			if err := d.Apply(t0, Decision{Verdict: Send}); err != nil {
				return err
			}
			return d.Sent(t0, "msg-1")
		}, StatusSent, 1, 1},
		{"deferred then sent", func(d *Delivery) error {
			if err := d.Apply(t0, Decision{Verdict: Defer, Until: t0.Add(time.Hour), Reason: ReasonQuietHours}); err != nil {
				return err
			}
			if d.NextAttempt != t0.Add(time.Hour) {
				t.Errorf("next attempt %v", d.NextAttempt)
			}
			return d.Sent(t0.Add(time.Hour), "msg-2")
		}, StatusSent, 1, 2},
		{"suppressed", func(d *Delivery) error {
			return d.Apply(t0, Decision{Verdict: Suppress, Reason: ReasonNoConsent})
		}, StatusSuppressed, 0, 1},
		{"fails twice then succeeds", func(d *Delivery) error {
			_ = d.Failed(t0, "timeout", false, r)
			if d.Status != StatusFailed || d.NextAttempt != t0.Add(time.Second) {
				t.Errorf("after first failure: %v %v", d.Status, d.NextAttempt)
			}
			_ = d.Failed(t0, "timeout", false, r)
			return d.Sent(t0, "ok")
		}, StatusSent, 3, 3},
		{"attempts used up is a dead letter", func(d *Delivery) error {
			for range 3 {
				_ = d.Failed(t0, "timeout", false, r)
			}
			return nil
		}, StatusDead, 3, 3},
		{"permanent refusal is dead at once", func(d *Delivery) error {
			return d.Failed(t0, "template not approved", true, r)
		}, StatusDead, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Delivery{ID: DeliveryID("evt-1", "m1", ChannelSMS), Status: StatusQueued}
			if err := c.steps(d); err != nil {
				t.Fatal(err)
			}
			if d.Status != c.want || d.Attempts != c.attempts || len(d.Log) != c.logLen {
				t.Fatalf("status %s attempts %d log %v", d.Status, d.Attempts, d.Log)
			}
			// A finished delivery refuses every further step: a redelivered
			// event cannot send it twice.
			if c.want.Final() {
				for _, err := range []error{d.Sent(t0, "again"), d.Failed(t0, "x", false, r), d.Apply(t0, Decision{Verdict: Send})} {
					if fault.ReasonOf(err) != ReasonDeliveryFinal {
						t.Errorf("finished delivery accepted a step: %v", err)
					}
				}
			}
		})
	}
	if DeliveryID("evt-1", "m1", ChannelSMS) != "evt-1:m1:sms" {
		t.Error("DeliveryID format")
	}
}
