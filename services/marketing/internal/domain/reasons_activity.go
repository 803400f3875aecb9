package domain

import "siyu.dev/pkg/fault"

// Reasons of group-buy (拼团) and bargain (砍价) activities, declared once
// beside the coupon reasons in reasons.go.
const (
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
	ReasonBargainNotFinished   fault.Reason = "BARGAIN_NOT_FINISHED"
	ReasonBargainOrderInUse    fault.Reason = "BARGAIN_ORDER_IN_USE"
)
