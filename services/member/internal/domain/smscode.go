package domain

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"regexp"
	"time"
)

// SMS code rules.
const (
	CodeTTL        = 5 * time.Minute
	ResendInterval = 60 * time.Second
	DailyLimit     = 10
	MaxAttempts    = 5
)

var codeRe = regexp.MustCompile(`^[0-9]{6}$`)

// SmsCode is the one live login code of a phone, stored hashed.
type SmsCode struct {
	Phone     string
	Salt      []byte
	Hash      []byte
	SentAt    time.Time
	ExpiresAt time.Time
	Attempts  int
	Used      bool
	// Day (YYYY-MM-DD, Asia/Shanghai) and DayCount limit codes per day.
	Day      string
	DayCount int
}

// HashCode binds code to salt.
func HashCode(salt []byte, code string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(code))
	return h.Sum(nil)
}

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// DayOf is the calendar day in China, which is when daily limits reset.
func DayOf(t time.Time) string { return t.In(shanghai).Format("2006-01-02") }

// NextCode decides whether a new code may be sent now given the previous
// one (nil if none) and returns the record to store.
func NextCode(prev *SmsCode, phone string, salt []byte, code string, now time.Time) (SmsCode, error) {
	next := SmsCode{Phone: phone, Salt: salt, Hash: HashCode(salt, code), SentAt: now, ExpiresAt: now.Add(CodeTTL), Day: DayOf(now), DayCount: 1}
	if prev == nil {
		return next, nil
	}
	if wait := prev.SentAt.Add(ResendInterval).Sub(now); wait > 0 {
		return SmsCode{}, TooFrequent(int((wait+time.Second-1)/time.Second), false)
	}
	if prev.Day == next.Day {
		if prev.DayCount >= DailyLimit {
			return SmsCode{}, TooFrequent(secondsToNextDay(now), true)
		}
		next.DayCount = prev.DayCount + 1
	}
	return next, nil
}

func secondsToNextDay(now time.Time) int {
	local := now.In(shanghai)
	midnight := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, shanghai)
	return int(midnight.Sub(now) / time.Second)
}

// Check compares code with the stored one in constant time. It says nothing
// about single use or concurrent guesses: the store must count the attempt
// and mark the code used atomically (Usable, then SmsCodes.TakeAttempt,
// then Matches).
func (c SmsCode) Check(code string, now time.Time) error {
	if err := c.Usable(code, now); err != nil {
		return err
	}
	if !c.Matches(code) {
		return ErrCodeInvalid
	}
	return nil
}

// Usable says whether code is worth an attempt against c: well formed, c
// live and not burned by wrong guesses.
func (c SmsCode) Usable(code string, now time.Time) error {
	if !codeRe.MatchString(code) {
		return ErrCodeFormat
	}
	switch {
	case c.Used || !now.Before(c.ExpiresAt):
		return ErrCodeExpired
	case c.Attempts >= MaxAttempts:
		return ErrCodeBurned
	}
	return nil
}

// Matches compares code with c's in constant time.
func (c SmsCode) Matches(code string) bool {
	return subtle.ConstantTimeCompare(HashCode(c.Salt, code), c.Hash) == 1
}

// IPHourlyLimit bounds code requests per client IP and hour: generous for a
// carrier NAT or a store's Wi-Fi full of shoppers, low enough to make pumping
// SMS through one address costly.
const IPHourlyLimit = 30

// IPWindow is the hour (UTC) that counts a request made at now, and the
// seconds until the next one begins.
func IPWindow(now time.Time) (hour time.Time, retryAfter int) {
	hour = now.UTC().Truncate(time.Hour)
	return hour, int(hour.Add(time.Hour).Sub(now).Seconds()) + 1
}

// SmsIPQuota counts code requests per client IP and hour.
type SmsIPQuota interface {
	// Take counts one request from ip in hour; false when limit were already counted.
	Take(ctx context.Context, ip string, hour time.Time, limit int) (bool, error)
}

// SmsCodes stores the live code per phone.
type SmsCodes interface {
	Get(ctx context.Context, phone string) (*SmsCode, error) // nil, nil when none
	// Replace stores next if the stored code is still prev (nil: none stored);
	// false when another request got there first.
	Replace(ctx context.Context, prev *SmsCode, next SmsCode) (bool, error)
	// Consume marks the code with hash used, once; false when already used.
	Consume(ctx context.Context, phone string, hash []byte) (bool, error)
	// TakeAttempt counts one guess against the live, unused code with hash,
	// atomically and only while fewer than max were counted: false means
	// the guess may not be checked (burned, used or replaced meanwhile).
	TakeAttempt(ctx context.Context, phone string, hash []byte, max int) (bool, error)
}
