package domain

import (
	"strconv"

	"siyu.dev/pkg/fault"
)

// Kind and Error are the shop's one fault model (pkg/fault): domain code
// returns them, errs.Status turns them into gRPC statuses with ErrorInfo,
// and consumers treat every fault but an exhausted or unavailable one as
// permanent (fault.Permanent).
type (
	Kind  = fault.Kind
	Error = fault.Fault
)

// The kinds by their member-domain names.
const (
	KindInvalid            = fault.Invalid
	KindNotFound           = fault.NotFound
	KindConflict           = fault.Conflict
	KindFailedPrecondition = fault.Precondition
	KindUnauthenticated    = fault.Unauthenticated
	KindPermissionDenied   = fault.Permission
	KindExhausted          = fault.Exhausted
)

func newErr(k Kind, reason fault.Reason, msg string) *Error { return fault.New(k, reason, msg) }

// retryAfter is an exhausted fault that tells when to try again.
func retryAfter(reason fault.Reason, msg string, seconds int) *Error {
	return fault.New(KindExhausted, reason, msg, "retry_after_seconds", strconv.Itoa(seconds))
}

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
func TooManyFromIP(seconds int) *Error {
	return retryAfter("SMS_TOO_FREQUENT", "too many codes requested from this network; try again later", seconds)
}

// TooFrequent says when another SMS code may be asked for.
func TooFrequent(seconds int, daily bool) *Error {
	msg := "a code was sent recently; wait before asking again"
	if daily {
		msg = "too many codes for this phone today"
	}
	return retryAfter("SMS_TOO_FREQUENT", msg, seconds)
}
