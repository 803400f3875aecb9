package domain

import "siyu.dev/pkg/fault"

// Every business reason the order service answers with, declared once.
// Clients branch on these strings (they travel as ErrorInfo reasons).
const (
	ReasonArgumentInvalid   fault.Reason = "ARGUMENT_INVALID"
	ReasonMemberIDRequired  fault.Reason = "MEMBER_ID_REQUIRED"
	ReasonRequestIDRequired fault.Reason = "REQUEST_ID_REQUIRED"
	ReasonRequestIDReused   fault.Reason = "REQUEST_ID_REUSED"
	ReasonConcurrentUpdate  fault.Reason = "CONCURRENT_UPDATE"
	ReasonPageTokenInvalid  fault.Reason = "PAGE_TOKEN_INVALID"
	ReasonPageSizeInvalid   fault.Reason = "PAGE_SIZE_INVALID"
	ReasonTokenMissing      fault.Reason = "TOKEN_MISSING"
	ReasonRoleRequired      fault.Reason = "ROLE_REQUIRED"
	ReasonServiceBusy       fault.Reason = "ORDER_BUSY"

	// Cart.
	ReasonCartFull         fault.Reason = "CART_FULL"
	ReasonCartLineNotFound fault.Reason = "CART_LINE_NOT_FOUND"
	ReasonQuantityInvalid  fault.Reason = "QUANTITY_INVALID"
	ReasonSKUNotFound      fault.Reason = "SKU_NOT_FOUND"
	ReasonOffShelf         fault.Reason = "OFF_SHELF"
	ReasonOutOfStock       fault.Reason = "OUT_OF_STOCK"
	ReasonOverLimit        fault.Reason = "OVER_PURCHASE_LIMIT"
	ReasonNothingSelected  fault.Reason = "NOTHING_SELECTED"

	// Checkout.
	ReasonQuoteNotFound        fault.Reason = "QUOTE_NOT_FOUND"
	ReasonQuoteExpired         fault.Reason = "QUOTE_EXPIRED"
	ReasonPriceChanged         fault.Reason = "PRICE_CHANGED"
	ReasonPointsInvalid        fault.Reason = "POINTS_INVALID"
	ReasonPointsInsufficient   fault.Reason = "POINTS_INSUFFICIENT"
	ReasonAddressRequired      fault.Reason = "ADDRESS_REQUIRED"
	ReasonAddressRegionChanged fault.Reason = "ADDRESS_REGION_CHANGED"
	ReasonUpdateMaskInvalid    fault.Reason = "UPDATE_MASK_INVALID"
	ReasonMemberBlocked        fault.Reason = "MEMBER_BLOCKED"

	// Orders.
	ReasonOrderNotFound     fault.Reason = "ORDER_NOT_FOUND"
	ReasonIllegalTransition fault.Reason = "ORDER_STATE_INVALID"
	ReasonPaymentDeadline   fault.Reason = "PAYMENT_DEADLINE_PASSED"

	// Payments.
	ReasonPaymentProviderUnknown fault.Reason = "PAYMENT_PROVIDER_UNKNOWN"
	ReasonPaymentNotFound        fault.Reason = "PAYMENT_NOT_FOUND"
	ReasonPaymentAmountMismatch  fault.Reason = "PAYMENT_AMOUNT_MISMATCH"
	ReasonNotificationInvalid    fault.Reason = "NOTIFICATION_INVALID"
	ReasonSandboxPaymentSettled  fault.Reason = "SANDBOX_PAYMENT_SETTLED"
	ReasonRefundInvalid          fault.Reason = "REFUND_INVALID"
	ReasonPaymentProviderFailed  fault.Reason = "PAYMENT_PROVIDER_FAILED"
	ReasonPayerRequired          fault.Reason = "PAYER_OPENID_REQUIRED"

	// Shipping and after-sales.
	ReasonShipmentInvalid     fault.Reason = "SHIPMENT_INVALID"
	ReasonAwaitingGroup       fault.Reason = "ORDER_AWAITING_GROUP"
	ReasonTrackingUnavailable fault.Reason = "TRACKING_UNAVAILABLE"
	ReasonAfterSaleInvalid    fault.Reason = "AFTER_SALE_INVALID"
	ReasonAfterSaleNotAllowed fault.Reason = "AFTER_SALE_NOT_ALLOWED"
	ReasonAfterSaleNotFound   fault.Reason = "AFTER_SALE_NOT_FOUND"
	ReasonAfterSaleState      fault.Reason = "AFTER_SALE_STATE_INVALID"
)
