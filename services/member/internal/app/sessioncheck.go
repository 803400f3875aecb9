package app

import (
	"context"
	"errors"

	"siyu.dev/pkg/auth"
	"siyu.dev/services/member/internal/domain"
)

// CheckSession tells whether the session behind an access token still
// stands: not revoked (logout, revocation, block, deletion) or expired, and,
// for members, the member neither blocked nor deleted. Tokens minted
// without a session (service identities) have nothing to check.
func (s *Service) CheckSession(ctx context.Context, id auth.Identity) error {
	if id.SessionID == "" {
		return nil
	}
	sess, err := s.sessions.Get(ctx, id.SessionID)
	if errors.Is(err, ErrNotFound) {
		return domain.ErrSessionEnded
	}
	if err != nil {
		return err
	}
	if sess.Subject != id.Subject || sess.Revoked || !s.clk.Now().Before(sess.ExpiresAt) {
		return domain.ErrSessionEnded
	}
	if id.Kind != auth.KindMember {
		return nil
	}
	m, err := s.members.Get(ctx, id.Subject)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && m.Deleted):
		return domain.ErrSessionEnded
	case err != nil:
		return err
	case m.Blocked:
		return domain.ErrMemberBlocked
	}
	return nil
}
