package domain

import "fmt"

// Kind classifies a domain error; the gRPC adapter maps each to a code.
type Kind int

const (
	KindInvalid Kind = iota + 1
	KindNotFound
	KindConflict
	KindFailedPrecondition
	KindUnauthenticated
	KindPermissionDenied
	KindExhausted
)

// Error is a rule violation with a stable reason clients can branch on.
type Error struct {
	Kind   Kind
	Reason string
	Msg    string
	// RetryAfterSeconds is set for KindExhausted.
	RetryAfterSeconds int
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Reason, e.Msg) }

func newErr(k Kind, reason, msg string) *Error { return &Error{Kind: k, Reason: reason, Msg: msg} }

// Errors the member domain produces.
var (
	ErrPhoneInvalid         = newErr(KindInvalid, "PHONE_INVALID", "phone must be a mainland mobile number of 11 digits starting with 1")
	ErrCodeFormat           = newErr(KindInvalid, "SMS_CODE_INVALID", "code must be 6 digits")
	ErrCodeInvalid          = newErr(KindInvalid, "SMS_CODE_INVALID", "the code is wrong")
	ErrCodeExpired          = newErr(KindFailedPrecondition, "SMS_CODE_EXPIRED", "the code expired or was already used; request a new one")
	ErrCodeBurned           = newErr(KindFailedPrecondition, "SMS_CODE_EXPIRED", "too many wrong attempts; request a new code")
	ErrMemberNotFound       = newErr(KindNotFound, "MEMBER_NOT_FOUND", "no such member")
	ErrMemberBlocked        = newErr(KindPermissionDenied, "MEMBER_BLOCKED", "this account is blocked")
	ErrRefreshInvalid       = newErr(KindUnauthenticated, "REFRESH_TOKEN_INVALID", "refresh token is not valid; sign in again")
	ErrSessionEnded         = newErr(KindUnauthenticated, "SESSION_REVOKED", "this session has ended (logout, revocation or a blocked account); sign in again")
	ErrRefreshReused        = newErr(KindUnauthenticated, "REFRESH_TOKEN_REUSED", "refresh token was already used; the session is revoked, sign in again")
	ErrAdminCredentials     = newErr(KindUnauthenticated, "ADMIN_CREDENTIALS_INVALID", "wrong username or password")
	ErrChannelInvalid       = newErr(KindInvalid, "CHANNEL_INVALID", "channel must be at most 64 letters, digits, '-', '_' or '.'")
	ErrOperatorNotFound     = newErr(KindNotFound, "OPERATOR_NOT_FOUND", "no operator with this username")
	ErrUsernameInvalid      = newErr(KindInvalid, "USERNAME_INVALID", "username must be 3-32 lowercase letters, digits, '-' or '_'")
	ErrRefreshTokenRequired = newErr(KindInvalid, "REFRESH_TOKEN_REQUIRED", "refresh_token is required")
)

// TooManyFromIP says when the client's network may ask for codes again.
func TooManyFromIP(retryAfter int) *Error {
	return &Error{Kind: KindExhausted, Reason: "SMS_TOO_FREQUENT", Msg: "too many codes requested from this network; try again later", RetryAfterSeconds: retryAfter}
}

// TooFrequent says when another SMS code may be asked for.
func TooFrequent(retryAfter int, daily bool) *Error {
	msg := "a code was sent recently; wait before asking again"
	if daily {
		msg = "too many codes for this phone today"
	}
	return &Error{Kind: KindExhausted, Reason: "SMS_TOO_FREQUENT", Msg: msg, RetryAfterSeconds: retryAfter}
}
