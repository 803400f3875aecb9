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

// Reasons of faults made on the spot (they carry a retry time or a field);
// every other reason is an Err variable below: the service's reasons are
// all in this file.
const (
	ReasonSmsTooFrequent    fault.Reason = "SMS_TOO_FREQUENT"
	ReasonAdminLoginLocked  fault.Reason = "ADMIN_LOGIN_LOCKED"
	ReasonFieldNotUpdatable fault.Reason = "FIELD_NOT_UPDATABLE"
)

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
	return retryAfter(ReasonSmsTooFrequent, "too many codes requested from this network; try again later", seconds)
}

// TooFrequent says when another SMS code may be asked for.
func TooFrequent(seconds int, daily bool) *Error {
	msg := "a code was sent recently; wait before asking again"
	if daily {
		msg = "too many codes for this phone today"
	}
	return retryAfter(ReasonSmsTooFrequent, msg, seconds)
}

// Errors of invitations, sessions and the back office.
var (
	ErrInviteCodeInvalid  = newErr(KindInvalid, "INVITE_CODE_INVALID", "the invite code or inviter does not name an active member")
	ErrInviteSelf         = newErr(KindInvalid, "INVITE_SELF", "a member cannot invite themselves")
	ErrInviteCircular     = newErr(KindInvalid, "INVITE_CIRCULAR", "the inviter was invited by this member")
	ErrInviteAmbiguous    = newErr(KindInvalid, "INVITER_AMBIGUOUS", "give invite_code or inviter_id, not both")
	ErrSessionNotFound    = newErr(KindNotFound, "SESSION_NOT_FOUND", "no such session")
	ErrSessionIDRequired  = newErr(KindInvalid, "SESSION_ID_REQUIRED", "session_id is required")
	ErrMemberIDRequired   = newErr(KindInvalid, "MEMBER_ID_REQUIRED", "member_id is required")
	ErrRoleRequired       = newErr(KindPermissionDenied, "ROLE_REQUIRED", "this needs another operator role")
	ErrTokenMissing       = newErr(KindUnauthenticated, "TOKEN_MISSING", "sign in first: no bearer token")
	ErrOperatorExists     = newErr(KindConflict, "OPERATOR_EXISTS", "an operator with this username exists")
	ErrPasswordWeak       = newErr(KindInvalid, "PASSWORD_TOO_SHORT", "password must be 12-128 characters")
	ErrRolesInvalid       = newErr(KindInvalid, "ROLES_INVALID", "roles must be one or more of owner, operator, customer-service")
	ErrSearchQueryInvalid = newErr(KindInvalid, "SEARCH_QUERY_INVALID", "nickname filter must be at most 20 characters and channel a valid scene code")
	ErrBlockReasonTooLong = newErr(KindInvalid, "REASON_TOO_LONG", "reason must be at most 200 characters")
	ErrMemberAlreadyGone  = newErr(KindNotFound, "MEMBER_NOT_FOUND", "the account is deleted")
)

// Errors of the points ledger, sign-in and levels.
var (
	ErrPointsInvalid        = newErr(KindInvalid, "POINTS_INVALID", "points must be a positive whole number up to 100,000,000")
	ErrPointsSourceRequired = newErr(KindInvalid, "SOURCE_ID_REQUIRED", "source_id is required")
	ErrOrderIDRequired      = newErr(KindInvalid, "ORDER_ID_REQUIRED", "order_id is required")
	ErrRequestIDRequired    = newErr(KindInvalid, "REQUEST_ID_REQUIRED", "request_id is required")
	ErrReasonRequired       = newErr(KindInvalid, "REASON_REQUIRED", "reason is required (at most 200 bytes)")
	ErrOperatorRequired     = newErr(KindPermissionDenied, "OPERATOR_REQUIRED", "adjustments are made by a signed-in operator")
	ErrRefundInvalid        = newErr(KindInvalid, "REFUND_INVALID", "refund and paid amounts must be positive")
	ErrPointsInsufficient   = newErr(KindFailedPrecondition, "POINTS_INSUFFICIENT", "not enough points")
	ErrHoldMismatch         = newErr(KindFailedPrecondition, "POINTS_HOLD_MISMATCH", "points for this order were already frozen with another amount")
	ErrHoldNotFound         = newErr(KindNotFound, "POINTS_HOLD_NOT_FOUND", "no points are frozen for this order")
	ErrHoldReleased         = newErr(KindFailedPrecondition, "POINTS_HOLD_RELEASED", "the points of this order were released")
	ErrHoldConfirmed        = newErr(KindFailedPrecondition, "POINTS_HOLD_CONFIRMED", "the points of this order were already spent")
	ErrSettingsInvalid      = newErr(KindInvalid, "LOYALTY_SETTINGS_INVALID", "settings are out of range")
	ErrTiersInvalid         = newErr(KindInvalid, "LEVEL_TIERS_INVALID", "tiers need unique ids and names, ascending thresholds starting at 0, and a discount of 0-1000 per mille")
	ErrBusy                 = newErr(KindExhausted, "ACCOUNT_BUSY", "the account is being changed by other requests; retry")
)

// Errors of tags and segments.
var (
	ErrTagInvalid      = newErr(KindInvalid, "TAG_INVALID", "tag ids are 1-32 lowercase letters, digits, '-' or '_'")
	ErrTagRuleInvalid  = newErr(KindInvalid, "TAG_RULE_INVALID", "the rule's kind or parameters are not valid")
	ErrTagRuleExists   = newErr(KindConflict, "TAG_RULE_EXISTS", "a rule with this id exists")
	ErrTagRuleNotFound = newErr(KindNotFound, "TAG_RULE_NOT_FOUND", "no such tag rule")
	ErrTooManyTags     = newErr(KindFailedPrecondition, "TOO_MANY_TAGS", "a member has at most 50 manual tags")
	ErrSegmentInvalid  = newErr(KindInvalid, "SEGMENT_INVALID", "the segment needs a name of at most 64 bytes and a consistent filter")
	ErrSegmentNotFound = newErr(KindNotFound, "SEGMENT_NOT_FOUND", "no such segment")
	ErrSegmentVersion  = newErr(KindFailedPrecondition, "SEGMENT_VERSION_MISMATCH", "the segment changed since it was read; read it again and retry")
	ErrSegmentInUse    = newErr(KindFailedPrecondition, "SEGMENT_IN_USE", "a campaign or broadcast that has not finished uses the segment")
)

// Errors of the address book.
var (
	ErrAddressNotFound        = newErr(KindNotFound, "ADDRESS_NOT_FOUND", "no such address")
	ErrAddressLimit           = newErr(KindFailedPrecondition, "ADDRESS_LIMIT_REACHED", "at most 20 addresses; delete one first")
	ErrAddressDefaultRequired = newErr(KindFailedPrecondition, "ADDRESS_DEFAULT_REQUIRED", "the default address stays default until another address is made default")
	ErrAddressRequired        = newErr(KindInvalid, "ADDRESS_REQUIRED", "address is required")
	ErrAddressIDRequired      = newErr(KindInvalid, "ADDRESS_ID_REQUIRED", "address_id is required")
	ErrReceiverNameInvalid    = newErr(KindInvalid, "RECEIVER_NAME_INVALID", "receiver_name must be 1-32 characters")
	ErrAddressPhoneInvalid    = newErr(KindInvalid, "ADDRESS_PHONE_INVALID", "phone must be a mainland mobile number of 11 digits starting with 1")
	ErrRegionRequired         = newErr(KindInvalid, "ADDRESS_REGION_REQUIRED", "province, city and district are required, each at most 32 characters")
	ErrAddressDetailInvalid   = newErr(KindInvalid, "ADDRESS_DETAIL_INVALID", "detail must be 2-120 characters")
	ErrAddressBusy            = newErr(KindFailedPrecondition, "ADDRESS_BOOK_BUSY", "the address book changed concurrently too often; retry")
)

// Errors of WeChat login and binding.
var (
	ErrWechatNotConfigured    = newErr(KindFailedPrecondition, "WECHAT_NOT_CONFIGURED", "WeChat login is not configured on this server")
	ErrWechatCodeRequired     = newErr(KindInvalid, "WECHAT_CODE_REQUIRED", "code from wx.login is required")
	ErrWechatCodeInvalid      = newErr(KindInvalid, "WECHAT_CODE_INVALID", "WeChat rejected the login code (invalid, expired or used); call wx.login again")
	ErrWechatPhoneRequired    = newErr(KindFailedPrecondition, "WECHAT_PHONE_REQUIRED", "this WeChat account is not bound yet: send phone_code from the getPhoneNumber button")
	ErrWechatPhoneCodeInvalid = newErr(KindInvalid, "WECHAT_PHONE_CODE_INVALID", "WeChat rejected the phone-number code; ask for the phone number again")
	ErrWechatAlreadyBound     = newErr(KindConflict, "WECHAT_ALREADY_BOUND", "this WeChat account is bound to another member")
	ErrWechatBoundToOther     = newErr(KindFailedPrecondition, "WECHAT_BOUND_TO_OTHER", "this member is bound to a different WeChat account")
	ErrWechatAppUnknown       = newErr(KindInvalid, "WECHAT_APP_UNKNOWN", "app_id is not a WeChat app this shop is configured for")
	ErrWechatAccountConflict  = newErr(KindConflict, "WECHAT_ACCOUNT_CONFLICT", "this WeChat account's openid and unionid are bound to different members; ask customer service to merge them")
)

// Errors of profile updates.
var (
	ErrUpdateMaskRequired = newErr(KindInvalid, "UPDATE_MASK_REQUIRED", "update_mask must name at least one field")
	ErrNicknameInvalid    = newErr(KindInvalid, "NICKNAME_INVALID", "nickname must be 1-20 characters without control characters or surrounding spaces")
	ErrAvatarURLInvalid   = newErr(KindInvalid, "AVATAR_URL_INVALID", "avatar_url must be an https URL of at most 512 characters, or empty")
	ErrGenderInvalid      = newErr(KindInvalid, "GENDER_INVALID", "gender must be male, female, other or unspecified")
	ErrBirthdayInvalid    = newErr(KindInvalid, "BIRTHDAY_INVALID", "birthday must be a date YYYY-MM-DD between 1900-01-01 and today, or empty")
)
