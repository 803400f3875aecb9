package domain

import "siyu.dev/pkg/fault"

// Every reason the messaging service gives, declared once.
const (
	ReasonPolicyInvalid  fault.Reason = "MESSAGE_POLICY_INVALID"
	ReasonChannelInvalid fault.Reason = "CHANNEL_INVALID"
	ReasonUnreachable    fault.Reason = "CHANNEL_UNREACHABLE"
	ReasonNoSubscription fault.Reason = "WECHAT_SUBSCRIPTION_MISSING"
	ReasonNoConsent      fault.Reason = "MARKETING_CONSENT_MISSING"
	ReasonUnsubscribed   fault.Reason = "CHANNEL_UNSUBSCRIBED"
	ReasonQuietHours     fault.Reason = "QUIET_HOURS"
	ReasonDailyCap       fault.Reason = "FREQUENCY_CAP_DAILY"
	ReasonWeeklyCap      fault.Reason = "FREQUENCY_CAP_WEEKLY"

	ReasonTemplateInvalid      fault.Reason = "TEMPLATE_INVALID"
	ReasonVariableMissing      fault.Reason = "TEMPLATE_VARIABLE_MISSING"
	ReasonChannelNotInTemplate fault.Reason = "TEMPLATE_CHANNEL_MISSING"

	ReasonDeliveryFinal fault.Reason = "DELIVERY_FINISHED"

	ReasonMessageNotFound     fault.Reason = "MESSAGE_NOT_FOUND"
	ReasonSubscriptionInvalid fault.Reason = "SUBSCRIPTION_INVALID"
	ReasonPageTokenInvalid    fault.Reason = "PAGE_TOKEN_INVALID"
	ReasonPageSizeInvalid     fault.Reason = "PAGE_SIZE_INVALID"
	ReasonTokenMissing        fault.Reason = "TOKEN_MISSING"
	ReasonMemberIDRequired    fault.Reason = "MEMBER_ID_REQUIRED"
	ReasonConcurrentUpdate    fault.Reason = "CONCURRENT_UPDATE"
	ReasonBroadcastInvalid    fault.Reason = "BROADCAST_INVALID"
	ReasonBroadcastNotFound   fault.Reason = "BROADCAST_NOT_FOUND"
	ReasonBroadcastState      fault.Reason = "BROADCAST_STATE_INVALID"
	ReasonRequestIDRequired   fault.Reason = "REQUEST_ID_REQUIRED"
	ReasonRequestIDReused     fault.Reason = "REQUEST_ID_REUSED"
)

// Reasons lists them for the drift test that checks handlers use only these.
var Reasons = []fault.Reason{ReasonPolicyInvalid, ReasonChannelInvalid, ReasonUnreachable, ReasonNoSubscription,
	ReasonNoConsent, ReasonUnsubscribed, ReasonQuietHours, ReasonDailyCap, ReasonWeeklyCap,
	ReasonTemplateInvalid, ReasonVariableMissing, ReasonChannelNotInTemplate, ReasonDeliveryFinal,
	ReasonMessageNotFound, ReasonSubscriptionInvalid, ReasonPageTokenInvalid, ReasonPageSizeInvalid, ReasonTokenMissing,
	ReasonMemberIDRequired, ReasonConcurrentUpdate, ReasonBroadcastInvalid, ReasonBroadcastNotFound, ReasonBroadcastState,
	ReasonRequestIDRequired, ReasonRequestIDReused}
