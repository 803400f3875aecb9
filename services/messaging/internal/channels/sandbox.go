// Package channels are the external channels' adapters: the sandbox that
// stands in for WeChat subscribe messages and SMS in development and tests.
package channels

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
)

// Sandbox is a channel that sends nothing: it logs and remembers each
// message by delivery id (so a resend after a crash is not a second
// message, as a provider's idempotency key would make it), for tests and
// `siyu dev`. Never in production: it reaches nobody.
type Sandbox struct {
	channel domain.Channel
	log     *slog.Logger

	mu   sync.Mutex
	sent map[string]domain.Delivery
	fail []error
}

// NewSandbox is the sandbox of one channel.
func NewSandbox(ch domain.Channel, log *slog.Logger) *Sandbox {
	return &Sandbox{channel: ch, log: log, sent: map[string]domain.Delivery{}}
}

// FailNext makes the next sends fail with errs, in order (tests of retries
// and dead letters).
func (s *Sandbox) FailNext(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, errs...)
}

// ErrRefused is a permanent refusal, as a provider gives for a bad address.
var ErrRefused = app.Permanent(errors.New("sandbox: recipient refused"))

// Send records d.
func (s *Sandbox) Send(ctx context.Context, d domain.Delivery, _ app.Contact) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.fail) > 0 {
		err := s.fail[0]
		s.fail = s.fail[1:]
		return "", err
	}
	id := "sandbox-" + string(s.channel) + "-" + app.MessageID(d.ID)
	if _, dup := s.sent[d.ID]; !dup {
		s.sent[d.ID] = d
		s.log.InfoContext(ctx, "sandbox message", "channel", s.channel, "template", d.Content.ProviderTemplate, "title", d.Content.Title, "delivery", d.ID)
	}
	return id, nil
}

// Sent returns the messages sent to member (all members when empty).
func (s *Sandbox) Sent(member string) []domain.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Delivery
	for _, d := range s.sent {
		if member == "" || d.MemberID == member {
			out = append(out, d)
		}
	}
	return out
}
