package domain

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestValidatePhone(t *testing.T) {
	cases := map[string]bool{"13800138000": true, "19912345678": true, "12800138000": false, "1380013800": false, "138001380000": false, "+8613800138000": false, "1380013800a": false, "": false}
	for p, ok := range cases {
		if err := ValidatePhone(p); (err == nil) != ok {
			t.Errorf("ValidatePhone(%q) = %v", p, err)
		}
	}
}

func TestNextCode(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) // 18:00 in Shanghai
	salt := []byte("salt")
	first, err := NextCode(nil, "13800138000", salt, "123456", now)
	if err != nil || first.DayCount != 1 || !first.ExpiresAt.Equal(now.Add(CodeTTL)) {
		t.Fatalf("first: %+v %v", first, err)
	}
	cases := []struct {
		name     string
		prev     SmsCode
		at       time.Time
		reason   string
		count    int
		minRetry int
	}{
		{"within a minute", first, now.Add(30 * time.Second), "SMS_TOO_FREQUENT", 0, 30},
		{"after a minute", first, now.Add(61 * time.Second), "", 2, 0},
		{"daily limit", SmsCode{SentAt: now.Add(-time.Hour), Day: DayOf(now), DayCount: DailyLimit}, now, "SMS_TOO_FREQUENT", 0, 3600},
		{"new day in Shanghai resets", SmsCode{SentAt: now.Add(-time.Hour), Day: DayOf(now), DayCount: DailyLimit}, now.Add(6 * time.Hour), "", 1, 0},
	}
	for _, c := range cases {
		got, err := NextCode(&c.prev, "13800138000", salt, "654321", c.at)
		var de *Error
		if c.reason != "" {
			if !errors.As(err, &de) {
				t.Errorf("%s: err = %v", c.name, err)
				continue
			}
			if retry, _ := strconv.Atoi(de.Meta["retry_after_seconds"]); string(de.Reason) != c.reason || retry < c.minRetry {
				t.Errorf("%s: err = %v", c.name, err)
			}
			continue
		}
		if err != nil || got.DayCount != c.count {
			t.Errorf("%s: %+v %v", c.name, got, err)
		}
	}
}

func TestCheckCode(t *testing.T) {
	now := time.Now()
	c, _ := NextCode(nil, "13800138000", []byte("s"), "123456", now)
	cases := []struct {
		name string
		mod  func(*SmsCode)
		code string
		at   time.Time
		want error
	}{
		{"right", nil, "123456", now, nil},
		{"wrong", nil, "123457", now, ErrCodeInvalid},
		{"not six digits", nil, "12345", now, ErrCodeFormat},
		{"expired", nil, "123456", now.Add(CodeTTL), ErrCodeExpired},
		{"used", func(c *SmsCode) { c.Used = true }, "123456", now, ErrCodeExpired},
		{"burned", func(c *SmsCode) { c.Attempts = MaxAttempts }, "123456", now, ErrCodeBurned},
	}
	for _, tc := range cases {
		cc := c
		if tc.mod != nil {
			tc.mod(&cc)
		}
		if err := cc.Check(tc.code, tc.at); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestSessionPresented(t *testing.T) {
	now := time.Now()
	s := Session{Current: HashSecret("c"), Previous: [][]byte{HashSecret("a"), HashSecret("b")}, ExpiresAt: now.Add(time.Hour)}
	cases := []struct {
		name   string
		secret string
		mod    func(*Session)
		want   error
	}{
		{"current", "c", nil, nil},
		{"rotated", "a", nil, ErrRefreshReused},
		{"unknown", "z", nil, ErrRefreshInvalid},
		{"revoked", "c", func(s *Session) { s.Revoked = true }, ErrRefreshInvalid},
		{"expired", "c", func(s *Session) { s.ExpiresAt = now }, ErrRefreshInvalid},
	}
	for _, c := range cases {
		ss := s
		if c.mod != nil {
			c.mod(&ss)
		}
		if err := ss.Presented(HashSecret(c.secret), now); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestIPWindow(t *testing.T) {
	cases := []struct {
		at        time.Time
		hour      time.Time
		retryFrom int
	}{
		{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 3600},
		{time.Date(2026, 3, 1, 10, 59, 30, 0, time.UTC), time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 30},
		{time.Date(2026, 3, 1, 18, 20, 0, 0, shanghai), time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), 2400},
	}
	for _, c := range cases {
		hour, retry := IPWindow(c.at)
		if !hour.Equal(c.hour) || retry < c.retryFrom || retry > c.retryFrom+1 {
			t.Errorf("IPWindow(%v) = %v, %d; want %v, %d", c.at, hour, retry, c.hour, c.retryFrom)
		}
	}
}
