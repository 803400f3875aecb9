package domain

import "siyu.dev/pkg/fault"

// Every reason the marketing service gives, declared once.
const (
	ReasonArgumentInvalid  fault.Reason = "ARGUMENT_INVALID"
	ReasonTokenMissing     fault.Reason = "TOKEN_MISSING"
	ReasonOperatorRequired fault.Reason = "OPERATOR_REQUIRED"
	ReasonConcurrentUpdate fault.Reason = "CONCURRENT_UPDATE"
	ReasonServiceBusy      fault.Reason = "SERVICE_BUSY"

	ReasonTemplateInvalid         fault.Reason = "COUPON_TEMPLATE_INVALID"
	ReasonTemplateNotFound        fault.Reason = "COUPON_TEMPLATE_NOT_FOUND"
	ReasonTemplateEnded           fault.Reason = "COUPON_TEMPLATE_ENDED"
	ReasonTemplateVersionMismatch fault.Reason = "COUPON_TEMPLATE_VERSION_MISMATCH"
	ReasonSoldOut                 fault.Reason = "COUPON_SOLD_OUT"
	ReasonLimitReached            fault.Reason = "COUPON_LIMIT_REACHED"
	ReasonCouponNotFound          fault.Reason = "COUPON_NOT_FOUND"
	ReasonCodeNotFound            fault.Reason = "COUPON_CODE_NOT_FOUND"
	ReasonCodeUsed                fault.Reason = "COUPON_CODE_USED"
	ReasonRequestIDRequired       fault.Reason = "REQUEST_ID_REQUIRED"
	ReasonNotApplicable           fault.Reason = "COUPON_NOT_APPLICABLE"
	ReasonBelowThreshold          fault.Reason = "COUPON_BELOW_THRESHOLD"
	ReasonCouponState             fault.Reason = "COUPON_STATE_INVALID"
	ReasonCouponExpired           fault.Reason = "COUPON_EXPIRED"
	ReasonCouponNotStarted        fault.Reason = "COUPON_NOT_STARTED"
	ReasonNotStackable            fault.Reason = "COUPON_NOT_STACKABLE"

	ReasonNotStackableWith    fault.Reason = "PROMOTION_NOT_STACKABLE"
	ReasonBannerInvalid       fault.Reason = "BANNER_INVALID"
	ReasonActivityInvalid     fault.Reason = "ACTIVITY_INVALID"
	ReasonActivityNotFound    fault.Reason = "ACTIVITY_NOT_FOUND"
	ReasonActivityNotOpen     fault.Reason = "ACTIVITY_NOT_OPEN"
	ReasonActivityVersion     fault.Reason = "ACTIVITY_VERSION_MISMATCH"
	ReasonFlashSoldOut        fault.Reason = "FLASH_SALE_SOLD_OUT"
	ReasonFlashLimit          fault.Reason = "FLASH_SALE_LIMIT_REACHED"
	ReasonReservationState    fault.Reason = "RESERVATION_NOT_USABLE"
	ReasonAddressRequired     fault.Reason = "ADDRESS_REQUIRED"
	ReasonReservationNotFound fault.Reason = "RESERVATION_NOT_FOUND"

	// Group-buy (拼团) and bargain (砍价).
	ReasonActivityNotStarted  fault.Reason = "ACTIVITY_NOT_STARTED"
	ReasonActivityEnded       fault.Reason = "ACTIVITY_ENDED"
	ReasonActivitySKUExcluded fault.Reason = "ACTIVITY_SKU_EXCLUDED"

	ReasonGroupNotFound      fault.Reason = "GROUP_NOT_FOUND"
	ReasonGroupFull          fault.Reason = "GROUP_FULL"
	ReasonGroupClosed        fault.Reason = "GROUP_CLOSED"
	ReasonGroupExpired       fault.Reason = "GROUP_EXPIRED"
	ReasonGroupAlreadyJoined fault.Reason = "GROUP_ALREADY_JOINED"
	ReasonGroupOrderNotFound fault.Reason = "GROUP_ORDER_NOT_FOUND"
	ReasonGroupOrderPaid     fault.Reason = "GROUP_ORDER_PAID"
	ReasonGroupLimitReached  fault.Reason = "GROUP_LIMIT_REACHED"
	ReasonGroupOrderInUse    fault.Reason = "GROUP_ORDER_IN_USE"

	ReasonBargainNotFound      fault.Reason = "BARGAIN_NOT_FOUND"
	ReasonBargainSelfHelp      fault.Reason = "BARGAIN_SELF_HELP"
	ReasonBargainAlreadyHelped fault.Reason = "BARGAIN_ALREADY_HELPED"
	ReasonBargainExpired       fault.Reason = "BARGAIN_EXPIRED"
	ReasonBargainFloorReached  fault.Reason = "BARGAIN_FLOOR_REACHED"
	ReasonBargainOrderInUse    fault.Reason = "BARGAIN_ORDER_IN_USE"
)
