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
)

// Reasons lists them for the drift test that checks handlers use only these.
var Reasons = []fault.Reason{ReasonPolicyInvalid, ReasonChannelInvalid, ReasonUnreachable, ReasonNoSubscription,
	ReasonNoConsent, ReasonUnsubscribed, ReasonQuietHours, ReasonDailyCap, ReasonWeeklyCap,
	ReasonTemplateInvalid, ReasonVariableMissing, ReasonChannelNotInTemplate, ReasonDeliveryFinal}
