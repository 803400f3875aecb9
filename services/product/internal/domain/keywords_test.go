package domain

import (
	"testing"
	"time"
)

func TestKeyword(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"连衣裙", "连衣裙"},
		{"  iPhone   15 ", "iphone 15"},
		{"ｉＰｈｏｎｅ　１５", "iphone 15"},
		{"碎花\t连衣裙", "碎花 连衣裙"},
		{"   ", ""},
		{"T恤", "t恤"},
	} {
		if got := Keyword(c.in); got != c.want {
			t.Errorf("Keyword(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestKeywordDayIsShanghai(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 15, 59, 59, 0, time.UTC), "2026-11-23"},
		// 16:00 UTC is midnight in Shanghai: the next day there.
		{time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC), "2026-11-24"},
		{time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC), "2027-01-01"},
	} {
		if got := KeywordDay(c.at); got != c.want {
			t.Errorf("KeywordDay(%v) = %s, want %s", c.at, got, c.want)
		}
	}
}
