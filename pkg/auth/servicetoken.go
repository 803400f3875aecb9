package auth

import (
	"context"
	"sync"
	"time"
)

// ServiceToken is a service's own identity for calls to service-only
// methods of other services: a short-lived token it signs itself, renewed
// a minute before it expires.
type ServiceToken struct {
	issuer  *Issuer
	subject string
	mu      sync.Mutex
	token   string
	until   time.Time
}

// serviceTokenTTL keeps a leaked token short-lived.
const serviceTokenTTL = 10 * time.Minute

// NewServiceToken signs tokens for subject (e.g. "order-service") with issuer.
func NewServiceToken(issuer *Issuer, subject string) *ServiceToken {
	return &ServiceToken{issuer: issuer, subject: subject}
}

// As returns ctx carrying the service's token instead of the caller's.
func (t *ServiceToken) As(ctx context.Context) (context.Context, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if time.Until(t.until) < time.Minute {
		tok, exp, err := t.issuer.Issue(Identity{Subject: t.subject, Kind: KindService}, serviceTokenTTL)
		if err != nil {
			return ctx, err
		}
		t.token, t.until = tok, exp
	}
	return OutgoingToken(ctx, t.token), nil
}
