// Package domain holds the member service's entities and rules. It knows
// nothing of gRPC, MongoDB or NATS.
package domain

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// Member is a shopper registered with the brand.
type Member struct {
	ID        string
	Phone     string
	Nickname  string
	AvatarURL string
	Gender    Gender
	Birthday  string // YYYY-MM-DD or empty
	Consent   Consent
	Channel   string
	InviterID string
	// WeChat ids, empty when not bound: OpenID in the shop's main
	// mini-program, OtherOpenIDs in its other apps (by app id) that share
	// the open-platform account whose UnionID names one person across apps.
	OpenID       string
	OtherOpenIDs map[string]string
	UnionID      string
	Blocked      bool
	// Deleted members are anonymised; their id stays for the ledgers.
	Deleted   bool
	CreatedAt time.Time
}

// OpenIDFor is the member's openid in app ("" is the main mini-program).
func (m Member) OpenIDFor(app string) string {
	if app == "" {
		return m.OpenID
	}
	return m.OtherOpenIDs[app]
}

// WechatBound reports whether any of the shop's WeChat apps is bound.
func (m Member) WechatBound() bool { return m.OpenID != "" || len(m.OtherOpenIDs) > 0 }

// Gender as the member states it; empty when not stated.
type Gender string

// Genders.
const (
	GenderUnspecified Gender = ""
	GenderMale        Gender = "male"
	GenderFemale      Gender = "female"
	GenderOther       Gender = "other"
)

// Consent is the member's marketing permission per channel.
type Consent struct {
	SMS             bool
	WechatSubscribe bool
	InApp           bool
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
	EventID   string
	MemberID  string
	Channel   string
	InviterID string
	At        time.Time
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
	// UpdateProfile writes the set fields of p on a member that is not
	// deleted and returns the result.
	UpdateProfile(ctx context.Context, id string, p ProfileChange) (Member, error)
	// SetBlocked sets the block flag with its event in one write.
	SetBlocked(ctx context.Context, id string, ev BlockChanged) (Member, error)
	// Anonymise replaces the personal data of a live member by anon (and
	// empties its address book) with the deletion event; false when the
	// member was already deleted.
	Anonymise(ctx context.Context, anon Member, ev Deleted) (bool, error)
	// Search lists members matching q ordered by id, skipping offset.
	Search(ctx context.Context, q MemberQuery, offset, limit int) ([]Member, error)
	// ByWechat finds the member a WeChat id key (OpenIDKey, UnionIDKey) is bound to.
	ByWechat(ctx context.Context, key string) (Member, error)
	// BindWechat binds openid (and unionid, if any) to a live member whose
	// openid is empty or the same. Each id belongs to one member: a conflict
	// with another member is ErrWechatAlreadyBound, a different openid on
	// the member ErrWechatBoundToOther.
	BindWechat(ctx context.Context, memberID, app, openid, unionid string) (Member, error)
	// AddressBook returns the member's addresses and their revision.
	AddressBook(ctx context.Context, memberID string) (AddressBook, error)
	// SaveAddressBook stores list if the book is still at revision rev
	// (compare-and-set); false when another change got there first.
	SaveAddressBook(ctx context.Context, memberID string, rev int64, list []Address) (bool, error)
}

// MemberQuery filters the admin member search; empty fields do not filter.
type MemberQuery struct {
	Phone    string
	Nickname string
	Channel  string
}

// BlockChanged is the event of a block or unblock by an operator.
type BlockChanged struct {
	EventID  string
	MemberID string
	Blocked  bool
	Operator string
	Reason   string
	At       time.Time
}

// Deleted is the event of an account deletion.
type Deleted struct {
	EventID  string
	MemberID string
	At       time.Time
}

// Anonymised is what remains of m after the member deleted the account:
// the id (ledgers refer to it) and the registration facts, nothing that
// identifies the person. The phone becomes a unique placeholder so the
// number can register again.
func Anonymised(m Member) Member {
	return Member{ID: m.ID, Phone: "deleted:" + m.ID, Nickname: DeletedNickname, Channel: m.Channel, InviterID: m.InviterID, Blocked: m.Blocked, Deleted: true, CreatedAt: m.CreatedAt}
}

// DeletedNickname is shown for deleted accounts.
const DeletedNickname = "已注销用户"

// InviteCode is the code others enter to name m as their inviter: the
// random part of the member id, so it needs no index of its own.
func InviteCode(memberID string) string {
	return strings.ToUpper(strings.TrimPrefix(memberID, "m_"))
}

var inviteCodeRe = regexp.MustCompile(`^[A-Za-z2-7]{16}$`)

// InviterFromCode is the member id an invite code names.
func InviterFromCode(code string) (string, error) {
	if !inviteCodeRe.MatchString(code) {
		return "", ErrInviteCodeInvalid
	}
	return "m_" + strings.ToLower(code), nil
}

// CheckInvitation applies the invitation rules to a member about to be
// registered with inviter: not oneself, not circular (the inviter was not
// invited by the invitee), and only by a live member.
func CheckInvitation(inviteeID string, inviter Member) error {
	switch {
	case inviter.ID == inviteeID:
		return ErrInviteSelf
	case inviter.InviterID != "" && inviter.InviterID == inviteeID:
		return ErrInviteCircular
	case inviter.Deleted || inviter.Blocked:
		return ErrInviteCodeInvalid
	}
	return nil
}
