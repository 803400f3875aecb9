package domain

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
