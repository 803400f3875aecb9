package domain

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
