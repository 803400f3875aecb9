package domain

import (
	"context"
	"crypto/sha256"
	"time"
)

// Session is one login of a member or operator; its refresh tokens rotate,
// and every token it ever issued stays recognisable so a replayed old one
// revokes the whole family.
type Session struct {
	ID        string
	Subject   string
	Kind      string // "member" or "admin"
	Roles     []string
	Method    string   // "sms", "wechat" or "password"
	Current   []byte   // hash of the live refresh secret
	Previous  [][]byte // hashes of rotated secrets
	CreatedAt time.Time
	ExpiresAt time.Time
	Revoked   bool
}

// RefreshTTL is how long a session lives without use.
const RefreshTTL = 30 * 24 * time.Hour

// MaxRemembered bounds the rotated hashes kept per session.
const MaxRemembered = 100

// HashSecret is how refresh secrets are stored.
func HashSecret(secret string) []byte {
	s := sha256.Sum256([]byte(secret))
	return s[:]
}

// Presented classifies a refresh secret presented for this session.
func (s Session) Presented(hash []byte, now time.Time) error {
	if s.Revoked || !now.Before(s.ExpiresAt) {
		return ErrRefreshInvalid
	}
	if string(hash) == string(s.Current) {
		return nil
	}
	for _, p := range s.Previous {
		if string(p) == string(hash) {
			return ErrRefreshReused
		}
	}
	return ErrRefreshInvalid
}

// Sessions stores sessions.
type Sessions interface {
	// Create stores s with the login event.
	Create(ctx context.Context, s Session, ev LoggedIn) error
	Get(ctx context.Context, id string) (Session, error)
	// Rotate swaps the live secret from old to next if it is still old;
	// false when another refresh won the race.
	Rotate(ctx context.Context, id string, old, next []byte, expires time.Time) (bool, error)
	Revoke(ctx context.Context, id string) error
	// ListLive returns subject's sessions that are neither revoked nor expired at now.
	ListLive(ctx context.Context, subject string, now time.Time) ([]Session, error)
	// RevokeOwned revokes session id if subject owns it; false otherwise.
	RevokeOwned(ctx context.Context, id, subject string) (bool, error)
	// RevokeAll revokes every session of subject.
	RevokeAll(ctx context.Context, subject string) error
}

// Admin is a back-office operator.
type Admin struct {
	Username     string
	PasswordHash string
	Roles        []string
	CreatedAt    time.Time
}

// Admins stores operators.
type Admins interface {
	// Create inserts a; false when the username exists.
	Create(ctx context.Context, a Admin) (bool, error)
	Get(ctx context.Context, username string) (Admin, error) // ErrAdminCredentials when missing
}
