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

	ReasonTokenMissing        fault.Reason = "TOKEN_MISSING"
	ReasonPageTokenInvalid    fault.Reason = "PAGE_TOKEN_INVALID"
	ReasonPageSizeInvalid     fault.Reason = "PAGE_SIZE_INVALID"
	ReasonMessageNotFound     fault.Reason = "MESSAGE_NOT_FOUND"
	ReasonSubscriptionInvalid fault.Reason = "SUBSCRIPTION_INVALID"
	ReasonTemplateNotFound    fault.Reason = "TEMPLATE_NOT_FOUND"
	ReasonTemplateExists      fault.Reason = "TEMPLATE_EXISTS"
	ReasonTemplateVersion     fault.Reason = "TEMPLATE_VERSION_MISMATCH"
	ReasonTemplateInUse       fault.Reason = "TEMPLATE_IN_USE"
	ReasonEventTypeUnknown    fault.Reason = "EVENT_TYPE_UNKNOWN"
	ReasonBroadcastInvalid    fault.Reason = "BROADCAST_INVALID"
	ReasonBroadcastNotFound   fault.Reason = "BROADCAST_NOT_FOUND"
	ReasonBroadcastFinished   fault.Reason = "BROADCAST_FINISHED"
	ReasonRequestIDRequired   fault.Reason = "REQUEST_ID_REQUIRED"
	ReasonMemberGone          fault.Reason = "MEMBER_GONE"
	// ReasonConflict is a lost compare-and-set; use cases retry it.
	ReasonConflict      fault.Reason = "CONCURRENT_UPDATE"
	ReasonStatusInvalid fault.Reason = "DELIVERY_STATUS_INVALID"

	ReasonConversationNotFound fault.Reason = "CONVERSATION_NOT_FOUND"
	ReasonConversationClosed   fault.Reason = "CONVERSATION_CLOSED"
	ReasonConversationMessage  fault.Reason = "CONVERSATION_MESSAGE_INVALID"
	ReasonQuickReplyInvalid    fault.Reason = "QUICK_REPLY_INVALID"
	ReasonFaqInvalid           fault.Reason = "FAQ_INVALID"
	ReasonOperatorRequired     fault.Reason = "OPERATOR_REQUIRED"
	ReasonDeliveryNotFound     fault.Reason = "DELIVERY_NOT_FOUND"
	ReasonDeliveryNotDead      fault.Reason = "DELIVERY_NOT_DEAD"
)

// Reasons lists them for the drift test that checks handlers use only these.
var Reasons = []fault.Reason{ReasonPolicyInvalid, ReasonChannelInvalid, ReasonUnreachable, ReasonNoSubscription,
	ReasonNoConsent, ReasonUnsubscribed, ReasonQuietHours, ReasonDailyCap, ReasonWeeklyCap,
	ReasonTemplateInvalid, ReasonVariableMissing, ReasonChannelNotInTemplate, ReasonDeliveryFinal,
	ReasonTokenMissing, ReasonPageTokenInvalid, ReasonPageSizeInvalid, ReasonMessageNotFound, ReasonSubscriptionInvalid,
	ReasonTemplateNotFound, ReasonTemplateExists, ReasonTemplateVersion, ReasonTemplateInUse, ReasonEventTypeUnknown,
	ReasonBroadcastInvalid, ReasonBroadcastNotFound, ReasonBroadcastFinished, ReasonRequestIDRequired, ReasonMemberGone, ReasonConflict, ReasonStatusInvalid,
	ReasonConversationNotFound, ReasonConversationClosed, ReasonConversationMessage, ReasonQuickReplyInvalid, ReasonFaqInvalid, ReasonOperatorRequired,
	ReasonDeliveryNotFound, ReasonDeliveryNotDead}
