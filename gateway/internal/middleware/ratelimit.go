package middleware

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
)

// Limiter keeps one token bucket per key (client IP, member id) with
// bounded memory: idle buckets are dropped.
type Limiter struct {
	mu      sync.Mutex
	rps     rate.Limit
	burst   int
	buckets map[string]*bucket
	max     int
	now     func() time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows rps per key with bursts of burst; rps <= 0 disables it.
func NewLimiter(rps float64, burst int) *Limiter {
	return &Limiter{rps: rate.Limit(rps), burst: burst, buckets: map[string]*bucket{}, max: 100_000, now: time.Now}
}

// Allow takes a token for key; when it cannot, it says how long to wait.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rps <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.rps, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// evict drops buckets idle long enough to have refilled; if every bucket is
// busy (a flood of new keys) it starts over rather than grow without bound.
func (l *Limiter) evict(now time.Time) {
	full := time.Duration(float64(l.burst)/float64(l.rps)*float64(time.Second)) + time.Second
	for k, b := range l.buckets {
		if now.Sub(b.seen) > full {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		l.buckets = map[string]*bucket{}
	}
}

// Reject answers 429 with Retry-After.
func Reject(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	Fail(w, http.StatusTooManyRequests, codes.ResourceExhausted, "RATE_LIMITED", "too many requests; slow down")
}

// ClientIP is the peer address, or the first X-Forwarded-For hop when the
// gateway runs behind a proxy it trusts.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// PerIP limits each client address.
func PerIP(l *Limiter, trustProxy bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ok, wait := l.Allow(ClientIP(r, trustProxy)); !ok {
				Reject(w, wait)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
