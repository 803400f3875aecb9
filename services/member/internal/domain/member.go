// Package domain holds the member service's entities and rules. It knows
// nothing of gRPC, MongoDB or NATS.
package domain

import (
	"context"
	"regexp"
	"time"
)

// Member is a shopper registered with the brand.
type Member struct {
	ID        string
	Phone     string
	Nickname  string
	AvatarURL string
	Channel   string
	Blocked   bool
	CreatedAt time.Time
}

var (
	phoneRe   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	channelRe = regexp.MustCompile(`^[A-Za-z0-9._-]{0,64}$`)
)

// ValidatePhone accepts mainland mobile numbers.
func ValidatePhone(p string) error {
	if !phoneRe.MatchString(p) {
		return ErrPhoneInvalid
	}
	return nil
}

// ValidateChannel accepts scene codes such as "store-0012" or "qr.spring".
func ValidateChannel(c string) error {
	if !channelRe.MatchString(c) {
		return ErrChannelInvalid
	}
	return nil
}

// DefaultNickname is what a new member is called until they choose.
func DefaultNickname(phone string) string { return "会员" + phone[len(phone)-4:] }

// Registered is the event of a member's creation.
type Registered struct {
	EventID  string
	MemberID string
	Channel  string
	At       time.Time
}

// LoggedIn is the event of a successful login.
type LoggedIn struct {
	EventID  string
	MemberID string
	Method   string
	At       time.Time
}

// Members stores members.
type Members interface {
	// Create inserts m with its registration event; ErrPhoneTaken when the phone exists.
	Create(ctx context.Context, m Member, ev Registered) error
	Get(ctx context.Context, id string) (Member, error)
	ByPhone(ctx context.Context, phone string) (Member, error)
}
