// Package clients are the marketing service's adapters to the member and
// order services, called with the service's own short-lived token.
package clients

import (
	"context"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/marketing/internal/app"
)

// Members streams segments from the member service.
type Members struct {
	segments memberv1.SegmentServiceClient
	tokens   *auth.ServiceToken
}

// NewMembers uses conn to the member service.
func NewMembers(conn grpc.ClientConnInterface, tokens *auth.ServiceToken) *Members {
	return &Members{segments: memberv1.NewSegmentServiceClient(conn), tokens: tokens}
}

// Segment streams the segment's member ids to fn, stopping at fn's first error.
func (m *Members) Segment(ctx context.Context, segmentID string, fn func(memberID string) error) error {
	sctx, err := m.tokens.As(ctx)
	if err != nil {
		return err
	}
	return errs.Fault(memberv1.EachSegmentMember(sctx, m.segments, segmentID, fn))
}

// Orders places orders for members through the order service's
// service-only placement call.
type Orders struct {
	placement orderv1.OrderPlacementServiceClient
	tokens    *auth.ServiceToken
}

// NewOrders uses conn to the order service.
func NewOrders(conn grpc.ClientConnInterface, tokens *auth.ServiceToken) *Orders {
	return &Orders{placement: orderv1.NewOrderPlacementServiceClient(conn), tokens: tokens}
}

// PlaceFor places the order and returns its id.
func (o *Orders) PlaceFor(ctx context.Context, in app.PlaceFor) (string, error) {
	ctx, err := o.tokens.As(ctx)
	if err != nil {
		return "", err
	}
	a := in.Address
	resp, err := o.placement.PlaceOrderFor(ctx, &orderv1.PlaceOrderForRequest{MemberId: in.MemberID, RequestId: in.RequestID, Channel: "flash_sale",
		Address:  &orderv1.ShippingAddress{Name: a.Name, Phone: a.Phone, Province: a.Province, City: a.City, District: a.District, Detail: a.Detail},
		Lines:    []*orderv1.BuyNowLine{{ProductId: in.ProductID, SkuId: in.SKUID, Quantity: in.Quantity}},
		Activity: &orderv1.PromotionActivity{Kind: string(in.Activity.Kind), ActivityId: in.Activity.ID, Ref: in.Activity.Ref}})
	if err != nil {
		return "", errs.Fault(err)
	}
	return resp.GetOrder().GetOrderId(), nil
}

// RefundFor has the order service refund an order in full.
func (o *Orders) RefundFor(ctx context.Context, orderID, requestID, reason string) error {
	ctx, err := o.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = o.placement.RefundOrderFor(ctx, &orderv1.RefundOrderForRequest{OrderId: orderID, RequestId: requestID, Reason: reason})
	return errs.Fault(err)
}

// ReleaseGroupOrder lets a group-buy order ship.
func (o *Orders) ReleaseGroupOrder(ctx context.Context, orderID string) error {
	ctx, err := o.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = o.placement.ReleaseGroupOrder(ctx, &orderv1.ReleaseGroupOrderRequest{OrderId: orderID})
	return errs.Fault(err)
}
