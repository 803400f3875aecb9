package domain

import (
	"context"
	"time"
)

// Operator login throttling. Every attempt is counted before the password
// is compared, so the limits hold however many guesses arrive at once:
//   - one username from one network: 5 attempts per 15 minutes (a success
//     clears it);
//   - one network over all usernames: 100 attempts an hour (password spraying);
//   - one username over all networks: 50 attempts per 10 minutes, except
//     from a network the operator signed in from before (trusted for 30
//     days), so an attacker elsewhere can slow but never lock an owner out.
const (
	PairAttempts  = 5
	PairWindow    = 15 * time.Minute
	NetAttempts   = 100
	NetWindow     = time.Hour
	UserAttempts  = 50
	UserWindow    = 10 * time.Minute
	TrustedFor    = 30 * 24 * time.Hour
	attemptPrefix = "admin-login:"
)

// LoginAttempts counts operator login attempts per key and fixed window.
type LoginAttempts interface {
	// Take counts one attempt under key in the window starting at window,
	// unless limit were counted already; false then.
	Take(ctx context.Context, key string, window time.Time, limit int) (bool, error)
	// Forget drops key's count in that window.
	Forget(ctx context.Context, key string, window time.Time) error
	// Trusted tells whether key was trusted until after now.
	Trusted(ctx context.Context, key string, now time.Time) (bool, error)
	// Trust marks key trusted until then.
	Trust(ctx context.Context, key string, until time.Time) error
}

// AttemptLimit is one of the limits an operator login must pass.
type AttemptLimit struct {
	Key    string
	Window time.Time
	Ends   time.Time
	Limit  int
}

// AdminLoginLimits are the limits of an attempt by username from ip at now;
// trusted skips the username-wide one.
func AdminLoginLimits(username, ip string, now time.Time, trusted bool) []AttemptLimit {
	at := func(key string, d time.Duration, limit int) AttemptLimit {
		w := now.UTC().Truncate(d)
		return AttemptLimit{Key: attemptPrefix + key, Window: w, Ends: w.Add(d), Limit: limit}
	}
	out := []AttemptLimit{at("net:"+ip, NetWindow, NetAttempts), at("pair:"+username+"|"+ip, PairWindow, PairAttempts)}
	if !trusted {
		out = append(out, at("user:"+username, UserWindow, UserAttempts))
	}
	return out
}

// AdminTrustKey names the trust a successful login gives its network.
func AdminTrustKey(username, ip string) string { return attemptPrefix + "trust:" + username + "|" + ip }

// AdminLocked says when an operator login may be tried again.
func AdminLocked(seconds int) *Error {
	return retryAfter(ReasonAdminLoginLocked, "too many sign-in attempts; try again later", seconds)
}
