package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/argon2"

	"siyu.dev/pkg/auth"
	"siyu.dev/services/member/internal/domain"
)

// argon2id parameters: OWASP's minimum (19 MiB, 2 passes) keeps a login
// under ~50 ms on one core while making offline guessing expensive.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

var usernameRe = regexp.MustCompile(`^[a-z0-9_-]{3,32}$`)

// HashPassword returns an encoded argon2id hash.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword verifies pw against an encoded hash in constant time.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when the username is unknown, so a missing account
// takes as long to reject as a wrong password.
var dummyHash, _ = HashPassword("not a password anyone has")

// AdminLogin signs an operator in.
func (s *Service) AdminLogin(ctx context.Context, username, password, ip string) (Tokens, domain.Admin, error) {
	if ip == "" {
		ip = "-" // a call that did not come through the gateway
	}
	if err := s.takeAdminAttempt(ctx, username, ip); err != nil {
		return Tokens{}, domain.Admin{}, err
	}
	a, err := s.admins.Get(ctx, username)
	if err != nil && !errors.Is(err, domain.ErrAdminCredentials) {
		return Tokens{}, domain.Admin{}, err
	}
	hash := a.PasswordHash
	if err != nil {
		hash = dummyHash
	}
	if !CheckPassword(hash, password) || err != nil {
		return Tokens{}, domain.Admin{}, domain.ErrAdminCredentials
	}
	if g := s.opt.LoginAttempts; g != nil {
		now := s.clk.Now()
		pair := domain.AdminLoginLimits(username, ip, now, true)[1]
		if err := g.Forget(ctx, pair.Key, pair.Window); err != nil {
			return Tokens{}, domain.Admin{}, err
		}
		if err := g.Trust(ctx, domain.AdminTrustKey(username, ip), now.Add(domain.TrustedFor)); err != nil {
			return Tokens{}, domain.Admin{}, err
		}
	}
	tok, err := s.openSession(ctx, auth.Identity{Subject: operatorSubject(a.Username), Kind: auth.KindAdmin, Roles: a.Roles}, s.opt.AdminTTL, "password")
	return tok, a, err
}

// takeAdminAttempt counts an operator login attempt against every limit
// before any password is compared (known and unknown usernames alike, so a
// lock tells nothing about which usernames exist).
func (s *Service) takeAdminAttempt(ctx context.Context, username, ip string) error {
	g := s.opt.LoginAttempts
	if g == nil {
		return nil
	}
	now := s.clk.Now()
	trusted, err := g.Trusted(ctx, domain.AdminTrustKey(username, ip), now)
	if err != nil {
		return err
	}
	for _, l := range domain.AdminLoginLimits(username, ip, now, trusted) {
		ok, err := g.Take(ctx, l.Key, l.Window, l.Limit)
		if err != nil {
			return err
		}
		if !ok {
			return domain.AdminLocked(int(l.Ends.Sub(now).Seconds()) + 1)
		}
	}
	return nil
}

// EnsureAdmin creates an operator with a random password unless the
// username exists. The password is returned once and stored only hashed.
func (s *Service) EnsureAdmin(ctx context.Context, username string, roles []string) (password string, created bool, err error) {
	if !usernameRe.MatchString(username) {
		return "", false, domain.ErrUsernameInvalid
	}
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		return "", false, err
	}
	password = base64.RawURLEncoding.EncodeToString(raw)
	hash, err := HashPassword(password)
	if err != nil {
		return "", false, err
	}
	created, err = s.admins.Create(ctx, domain.Admin{Username: username, PasswordHash: hash, Roles: roles, CreatedAt: s.clk.Now()})
	if err != nil || !created {
		return "", false, err
	}
	return password, true, nil
}

// validRoles are the operator roles an owner may grant.
var validRoles = map[string]bool{auth.RoleOwner: true, auth.RoleOperator: true, auth.RoleCustomerService: true}

// CreateOperator creates a back-office account with the password the owner
// chose; it is stored only hashed.
func (s *Service) CreateOperator(ctx context.Context, username, password string, roles []string) (domain.Admin, error) {
	if !usernameRe.MatchString(username) {
		return domain.Admin{}, domain.ErrUsernameInvalid
	}
	if n := len([]rune(password)); n < 12 || n > 128 {
		return domain.Admin{}, domain.ErrPasswordWeak
	}
	if len(roles) == 0 || len(roles) > len(validRoles) {
		return domain.Admin{}, domain.ErrRolesInvalid
	}
	seen := map[string]bool{}
	for _, r := range roles {
		if !validRoles[r] || seen[r] {
			return domain.Admin{}, domain.ErrRolesInvalid
		}
		seen[r] = true
	}
	hash, err := HashPassword(password)
	if err != nil {
		return domain.Admin{}, err
	}
	a := domain.Admin{Username: username, PasswordHash: hash, Roles: roles, CreatedAt: s.clk.Now()}
	created, err := s.admins.Create(ctx, a)
	if err != nil {
		return domain.Admin{}, err
	}
	if !created {
		return domain.Admin{}, domain.ErrOperatorExists
	}
	return a, nil
}

// SearchMembers lists live members matching q.
func (s *Service) SearchMembers(ctx context.Context, q domain.MemberQuery, offset, limit int) ([]domain.Member, error) {
	if q.Phone != "" {
		if err := domain.ValidatePhone(q.Phone); err != nil {
			return nil, err
		}
	}
	if len([]rune(q.Nickname)) > domain.MaxNicknameRunes || q.Channel != "" && domain.ValidateChannel(q.Channel) != nil {
		return nil, domain.ErrSearchQueryInvalid
	}
	return s.members.Search(ctx, q, offset, limit)
}

// SetBlocked blocks or unblocks a member. Blocking also revokes every
// session, so refresh tokens stop working at once; access tokens already
// issued run out within the access token lifetime.
func (s *Service) SetBlocked(ctx context.Context, memberID string, blocked bool, operator, reason string) (domain.Member, error) {
	if memberID == "" {
		return domain.Member{}, domain.ErrMemberIDRequired
	}
	if len([]rune(reason)) > 200 {
		return domain.Member{}, domain.ErrBlockReasonTooLong
	}
	m, err := s.members.SetBlocked(ctx, memberID, domain.BlockChanged{EventID: newID("ev"), MemberID: memberID, Blocked: blocked, Operator: operator, Reason: reason, At: s.clk.Now()})
	if errors.Is(err, ErrNotFound) {
		return domain.Member{}, domain.ErrMemberNotFound
	}
	if err != nil {
		return domain.Member{}, err
	}
	if blocked {
		if err := s.sessions.RevokeAll(ctx, memberID); err != nil {
			return domain.Member{}, err
		}
	}
	return m, nil
}

// operatorSubject is the token subject of an operator's sessions.
func operatorSubject(username string) string { return "admin:" + username }

// requireOperator checks that username names an operator.
func (s *Service) requireOperator(ctx context.Context, username string) error {
	if !usernameRe.MatchString(username) {
		return domain.ErrUsernameInvalid
	}
	_, err := s.admins.Get(ctx, username)
	if errors.Is(err, domain.ErrAdminCredentials) {
		return domain.ErrOperatorNotFound
	}
	return err
}

// OperatorSessions lists an operator's live sessions, for an owner.
func (s *Service) OperatorSessions(ctx context.Context, username string) ([]domain.Session, error) {
	if err := s.requireOperator(ctx, username); err != nil {
		return nil, err
	}
	return s.sessions.ListLive(ctx, operatorSubject(username), s.clk.Now())
}

// RevokeOperatorSessions ends every session of an operator.
func (s *Service) RevokeOperatorSessions(ctx context.Context, username string) error {
	if err := s.requireOperator(ctx, username); err != nil {
		return err
	}
	return s.sessions.RevokeAll(ctx, operatorSubject(username))
}
