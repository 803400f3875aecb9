package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"siyu.dev/pkg/auth"
	memberv1 "siyu.dev/proto/siyu/member/v1"
)

// sessions asks the member service whether a token's session still stands
// and remembers each answer for ttl, so a logout, a revoked session or a
// blocked member locks the token out within ttl instead of when it expires,
// at the cost of one call per session and ttl.
type sessions struct {
	member memberv1.MemberServiceClient
	ttl    time.Duration
	log    *slog.Logger

	mu      sync.Mutex
	answers map[string]answer // by session id
}

type answer struct {
	err   error
	until time.Time
}

// maxAnswers bounds the memory: past it, answers are forgotten and asked again.
const maxAnswers = 50000

func newSessions(conn grpc.ClientConnInterface, ttl time.Duration, log *slog.Logger) *sessions {
	return &sessions{member: memberv1.NewMemberServiceClient(conn), ttl: ttl, log: log, answers: map[string]answer{}}
}

// Check implements middleware.Sessions. Tokens without a session (service
// identities) pass. When the member service cannot answer, the token's own
// signature and expiry stand: an outage of one service must not sign
// everyone out.
func (s *sessions) Check(ctx context.Context, token string, id auth.Identity) error {
	if id.SessionID == "" {
		return nil
	}
	now := time.Now()
	s.mu.Lock()
	a, ok := s.answers[id.SessionID]
	s.mu.Unlock()
	if ok && now.Before(a.until) {
		return a.err
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := s.member.CheckSession(auth.OutgoingToken(cctx, token), &memberv1.CheckSessionRequest{})
	switch status.Code(err) {
	case codes.OK, codes.Unauthenticated, codes.PermissionDenied:
	default:
		s.log.WarnContext(ctx, "session check unavailable; trusting the token", "err", err)
		return nil
	}
	s.mu.Lock()
	if len(s.answers) >= maxAnswers {
		clear(s.answers)
	}
	s.answers[id.SessionID] = answer{err: err, until: now.Add(s.ttl)}
	s.mu.Unlock()
	return err
}
