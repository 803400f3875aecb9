// Package app holds the member service's use cases: it applies domain rules,
// calls repositories and signs tokens, and knows nothing of transports.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/services/member/internal/domain"
)

// SMS sends a login code to a phone.
type SMS interface {
	SendLoginCode(ctx context.Context, phone, code string) error
}

// Options tune the service.
type Options struct {
	AccessTTL time.Duration
	AdminTTL  time.Duration
	// EchoCode returns the SMS code to the caller: only for development.
	EchoCode bool
	// WeChat verifies codes of the main mini-program, whose app id is
	// WeChatAppID; nil turns WeChat login off.
	WeChat      WeChat
	WeChatAppID string
	// WeChatApps are the shop's other WeChat apps (a second mini-program, an
	// official account) by app id; their users share unionids with the main one.
	WeChatApps map[string]WeChat
	// IPQuota limits code requests per client network; nil turns the limit off.
	IPQuota domain.SmsIPQuota
	// LoginAttempts throttles operator logins; nil turns throttling off.
	LoginAttempts domain.LoginAttempts
}

// Service is the member service's application layer.
type Service struct {
	members  domain.Members
	codes    domain.SmsCodes
	sessions domain.Sessions
	admins   domain.Admins
	sms      SMS
	issuer   *auth.Issuer
	clk      clock.Clock
	opt      Options
}

// New wires the use cases.
func New(m domain.Members, c domain.SmsCodes, s domain.Sessions, a domain.Admins, sms SMS, issuer *auth.Issuer, clk clock.Clock, opt Options) *Service {
	if opt.AccessTTL == 0 {
		opt.AccessTTL = 15 * time.Minute
	}
	if opt.AdminTTL == 0 {
		// Short like a member's: the rotating refresh token keeps an
		// operator signed in, and a stolen access token soon expires.
		opt.AdminTTL = 15 * time.Minute
	}
	return &Service{members: m, codes: c, sessions: s, admins: a, sms: sms, issuer: issuer, clk: clk, opt: opt}
}

// ErrNotFound is what repositories return for a missing document.
var ErrNotFound = errors.New("not found")

// SendResult is the answer to a code request.
type SendResult struct {
	RetryAfterSeconds int
	DevCode           string
}

// SendSmsCode sends a fresh code, within the per-network, resend and daily
// limits. clientIP is empty for calls that did not come through the gateway.
func (s *Service) SendSmsCode(ctx context.Context, phone, clientIP string) (SendResult, error) {
	if err := domain.ValidatePhone(phone); err != nil {
		return SendResult{}, err
	}
	if clientIP != "" && s.opt.IPQuota != nil {
		hour, retry := domain.IPWindow(s.clk.Now())
		ok, err := s.opt.IPQuota.Take(ctx, clientIP, hour, domain.IPHourlyLimit)
		if err != nil {
			return SendResult{}, err
		}
		if !ok {
			return SendResult{}, domain.TooManyFromIP(retry)
		}
	}
	code, err := randomDigits(6)
	if err != nil {
		return SendResult{}, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return SendResult{}, err
	}
	prev, err := s.codes.Get(ctx, phone)
	if err != nil {
		return SendResult{}, err
	}
	next, err := domain.NextCode(prev, phone, salt, code, s.clk.Now())
	if err != nil {
		return SendResult{}, err
	}
	ok, err := s.codes.Replace(ctx, prev, next)
	if err != nil {
		return SendResult{}, err
	}
	if !ok {
		// Another request for the same phone won the race: it counts as the recent send.
		return SendResult{}, domain.TooFrequent(int(domain.ResendInterval/time.Second), false)
	}
	if err := s.sms.SendLoginCode(ctx, phone, code); err != nil {
		return SendResult{}, fmt.Errorf("send sms: %w", err)
	}
	res := SendResult{RetryAfterSeconds: int(domain.ResendInterval / time.Second)}
	if s.opt.EchoCode {
		res.DevCode = code
	}
	return res, nil
}

// Tokens are a login's credentials.
type Tokens struct {
	Access        string
	AccessExpiry  time.Time
	Refresh       string
	RefreshExpiry time.Time
}

// LoginResult is a successful member login.
type LoginResult struct {
	Tokens
	Member     domain.Member
	Registered bool
}

// Registration is how a new member arrived: the channel scene code and the
// inviter, named by invite code or member id. It is recorded on first login
// only; a returning member's login ignores it.
type Registration struct {
	Channel    string
	InviteCode string
	InviterID  string
}

// SmsLogin checks the code, registers the member on first login and opens a session.
func (s *Service) SmsLogin(ctx context.Context, phone, code string, reg Registration) (LoginResult, error) {
	if err := domain.ValidatePhone(phone); err != nil {
		return LoginResult{}, err
	}
	if err := domain.ValidateChannel(reg.Channel); err != nil {
		return LoginResult{}, err
	}
	// The inviter is resolved before the code is consumed, so a mistyped
	// invite code costs the shopper no new SMS.
	inviter, err := s.inviter(ctx, reg)
	if err != nil {
		return LoginResult{}, err
	}
	now := s.clk.Now()
	stored, err := s.codes.Get(ctx, phone)
	if err != nil {
		return LoginResult{}, err
	}
	if stored == nil {
		return LoginResult{}, domain.ErrCodeExpired
	}
	if err := stored.Usable(code, now); err != nil {
		return LoginResult{}, err
	}
	// Every guess is counted before it is compared, right or wrong, so the
	// limit holds however many guesses arrive at once.
	counted, err := s.codes.TakeAttempt(ctx, phone, stored.Hash, domain.MaxAttempts)
	if err != nil {
		return LoginResult{}, err
	}
	if !counted {
		return LoginResult{}, s.whyNoAttempt(ctx, phone, stored.Hash)
	}
	if !stored.Matches(code) {
		return LoginResult{}, domain.ErrCodeInvalid
	}
	won, err := s.codes.Consume(ctx, phone, stored.Hash)
	if err != nil {
		return LoginResult{}, err
	}
	if !won {
		return LoginResult{}, domain.ErrCodeExpired
	}
	m, registered, err := s.memberFor(ctx, phone, reg.Channel, inviter, now)
	if err != nil {
		return LoginResult{}, err
	}
	if m.Blocked {
		return LoginResult{}, domain.ErrMemberBlocked
	}
	tok, err := s.openSession(ctx, auth.Identity{Subject: m.ID, Kind: auth.KindMember}, s.opt.AccessTTL, "sms")
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Tokens: tok, Member: m, Registered: registered}, nil
}

// whyNoAttempt tells a refused guess apart: the code was burned by wrong
// guesses, or used or replaced by another request meanwhile.
func (s *Service) whyNoAttempt(ctx context.Context, phone string, hash []byte) error {
	cur, err := s.codes.Get(ctx, phone)
	if err != nil {
		return err
	}
	if cur != nil && !cur.Used && string(cur.Hash) == string(hash) && cur.Attempts >= domain.MaxAttempts {
		return domain.ErrCodeBurned
	}
	return domain.ErrCodeExpired
}

// inviter finds the live member reg names as inviter, or nil.
func (s *Service) inviter(ctx context.Context, reg Registration) (*domain.Member, error) {
	id := reg.InviterID
	switch {
	case reg.InviteCode != "" && reg.InviterID != "":
		return nil, domain.ErrInviteAmbiguous
	case reg.InviteCode != "":
		var err error
		if id, err = domain.InviterFromCode(reg.InviteCode); err != nil {
			return nil, err
		}
	case id == "":
		return nil, nil
	}
	if len(id) > 64 {
		return nil, domain.ErrInviteCodeInvalid
	}
	m, err := s.members.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, domain.ErrInviteCodeInvalid
	}
	if err != nil {
		return nil, err
	}
	if m.Deleted || m.Blocked {
		return nil, domain.ErrInviteCodeInvalid
	}
	return &m, nil
}

// memberFor finds or registers the member of phone. Two first logins racing
// for one phone meet at the unique phone index: the loser reads the winner's.
// The invitation is part of the insert, so it is recorded at most once per
// invitee.
func (s *Service) memberFor(ctx context.Context, phone, channel string, inviter *domain.Member, now time.Time) (domain.Member, bool, error) {
	m, err := s.members.ByPhone(ctx, phone)
	if err == nil {
		return m, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return domain.Member{}, false, err
	}
	m = domain.Member{ID: newID("m"), Phone: phone, Nickname: domain.DefaultNickname(phone), Channel: channel, CreatedAt: now}
	if inviter != nil {
		if err := domain.CheckInvitation(m.ID, *inviter); err != nil {
			return domain.Member{}, false, err
		}
		m.InviterID = inviter.ID
	}
	err = s.members.Create(ctx, m, domain.Registered{EventID: newID("ev"), MemberID: m.ID, Channel: channel, InviterID: m.InviterID, At: now})
	if errors.Is(err, ErrConflict) {
		m, err = s.members.ByPhone(ctx, phone)
		return m, false, err
	}
	return m, err == nil, err
}

// ErrConflict is what repositories return on a unique index violation.
var ErrConflict = errors.New("conflict")

// openSession creates a session and its first token pair. Refresh tokens
// are "<session id>.<secret>": the id finds the session by primary key, the
// secret proves possession.
func (s *Service) openSession(ctx context.Context, id auth.Identity, ttl time.Duration, method string) (Tokens, error) {
	now := s.clk.Now()
	sid := newID("s")
	secret := newSecret()
	sess := domain.Session{ID: sid, Subject: id.Subject, Kind: string(id.Kind), Roles: id.Roles, Method: method, Current: domain.HashSecret(secret), CreatedAt: now, ExpiresAt: now.Add(domain.RefreshTTL)}
	if err := s.sessions.Create(ctx, sess, domain.LoggedIn{EventID: newID("ev"), MemberID: id.Subject, Method: method, At: now}); err != nil {
		return Tokens{}, err
	}
	id.SessionID = sid
	access, exp, err := s.issuer.Issue(id, ttl)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{Access: access, AccessExpiry: exp, Refresh: sid + "." + secret, RefreshExpiry: sess.ExpiresAt}, nil
}

func splitRefresh(token string) (sid, secret string, err error) {
	if token == "" {
		return "", "", domain.ErrRefreshTokenRequired
	}
	sid, secret, ok := strings.Cut(token, ".")
	if !ok || sid == "" || secret == "" || len(token) > 200 {
		return "", "", domain.ErrRefreshInvalid
	}
	return sid, secret, nil
}

// Refresh rotates a refresh token. A token that was already rotated means
// it leaked (or a client raced itself): the whole session is revoked.
func (s *Service) Refresh(ctx context.Context, token string) (Tokens, error) {
	sid, secret, err := splitRefresh(token)
	if err != nil {
		return Tokens{}, err
	}
	sess, err := s.sessions.Get(ctx, sid)
	if errors.Is(err, ErrNotFound) {
		return Tokens{}, domain.ErrRefreshInvalid
	}
	if err != nil {
		return Tokens{}, err
	}
	now := s.clk.Now()
	presented := domain.HashSecret(secret)
	if err := sess.Presented(presented, now); err != nil {
		if err == domain.ErrRefreshReused {
			if rerr := s.sessions.Revoke(ctx, sid); rerr != nil {
				return Tokens{}, rerr
			}
		}
		return Tokens{}, err
	}
	if sess.Kind == string(auth.KindMember) {
		// A block or deletion revokes sessions, but a refresh racing with it
		// must not outlive it: check the member on every rotation.
		m, err := s.members.Get(ctx, sess.Subject)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Tokens{}, err
		}
		if err != nil || m.Blocked || m.Deleted {
			if rerr := s.sessions.Revoke(ctx, sid); rerr != nil {
				return Tokens{}, rerr
			}
			if err == nil && m.Blocked {
				return Tokens{}, domain.ErrMemberBlocked
			}
			return Tokens{}, domain.ErrRefreshInvalid
		}
	}
	next := newSecret()
	expires := now.Add(domain.RefreshTTL)
	ok, err := s.sessions.Rotate(ctx, sid, presented, domain.HashSecret(next), expires)
	if err != nil {
		return Tokens{}, err
	}
	if !ok {
		// A concurrent refresh with the same token rotated first: that is reuse.
		if rerr := s.sessions.Revoke(ctx, sid); rerr != nil {
			return Tokens{}, rerr
		}
		return Tokens{}, domain.ErrRefreshReused
	}
	ttl := s.opt.AccessTTL
	if sess.Kind == string(auth.KindAdmin) {
		ttl = s.opt.AdminTTL
	}
	access, exp, err := s.issuer.Issue(auth.Identity{Subject: sess.Subject, Kind: auth.Kind(sess.Kind), Roles: sess.Roles, SessionID: sid}, ttl)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{Access: access, AccessExpiry: exp, Refresh: sid + "." + next, RefreshExpiry: expires}, nil
}

// Logout revokes the session of a refresh token; unknown tokens are ignored
// so logging out twice is harmless.
func (s *Service) Logout(ctx context.Context, token string) error {
	sid, secret, err := splitRefresh(token)
	if err != nil {
		return err
	}
	sess, err := s.sessions.Get(ctx, sid)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if sess.Presented(domain.HashSecret(secret), s.clk.Now()) == domain.ErrRefreshInvalid && !sess.Revoked {
		return nil // not a token of this session: nothing to revoke
	}
	return s.sessions.Revoke(ctx, sid)
}

// GetMember returns a member by id.
func (s *Service) GetMember(ctx context.Context, id string) (domain.Member, error) {
	m, err := s.members.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return domain.Member{}, domain.ErrMemberNotFound
	}
	return m, err
}

// EnsureMember registers phone if it is not a member yet (demo seeding).
func (s *Service) EnsureMember(ctx context.Context, phone, channel string) (domain.Member, error) {
	if err := domain.ValidatePhone(phone); err != nil {
		return domain.Member{}, err
	}
	m, _, err := s.memberFor(ctx, phone, channel, nil, s.clk.Now())
	return m, err
}

func newID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return prefix + "_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

func randomDigits(n int) (string, error) {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		sb.WriteByte(byte('0' + d.Int64()))
	}
	return sb.String(), nil
}
