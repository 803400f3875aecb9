package grpcapi

import (
	"context"
	"slices"
	"strings"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/fault"

	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

type cartServer struct {
	orderv1.UnimplementedCartServiceServer
	svc Services
}

func (s *cartServer) GetMyCart(ctx context.Context, _ *orderv1.GetMyCartRequest) (*orderv1.GetMyCartResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Carts.Get(ctx, m)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.GetMyCartResponse{Cart: cartProto(v)}, nil
}

func (s *cartServer) AddCartLine(ctx context.Context, req *orderv1.AddCartLineRequest) (*orderv1.AddCartLineResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Carts.Add(ctx, m, req.GetProductId(), req.GetSkuId(), req.GetQuantity())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.AddCartLineResponse{Cart: cartProto(v)}, nil
}

func (s *cartServer) UpdateCartLine(ctx context.Context, req *orderv1.UpdateCartLineRequest) (*orderv1.UpdateCartLineResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Carts.Update(ctx, m, req.GetSkuId(), req.GetQuantity())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.UpdateCartLineResponse{Cart: cartProto(v)}, nil
}

func (s *cartServer) RemoveCartLines(ctx context.Context, req *orderv1.RemoveCartLinesRequest) (*orderv1.RemoveCartLinesResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Carts.Remove(ctx, m, req.GetSkuIds())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.RemoveCartLinesResponse{Cart: cartProto(v)}, nil
}

func (s *cartServer) SelectCartLines(ctx context.Context, req *orderv1.SelectCartLinesRequest) (*orderv1.SelectCartLinesResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.Carts.Select(ctx, m, req.GetSkuIds(), req.GetSelected())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.SelectCartLinesResponse{Cart: cartProto(v)}, nil
}

func (s *cartServer) MergeGuestCart(ctx context.Context, req *orderv1.MergeGuestCartRequest) (*orderv1.MergeGuestCartResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	var guest []domain.CartLine
	for _, l := range req.GetLines() {
		guest = append(guest, domain.CartLine{ProductID: l.GetProductId(), SKUID: l.GetSkuId(), Quantity: l.GetQuantity()})
	}
	v, left, err := s.svc.Carts.Merge(ctx, m, guest)
	if err != nil {
		return nil, status(ctx, err)
	}
	out := &orderv1.MergeGuestCartResponse{Cart: cartProto(v)}
	for _, l := range left {
		out.LeftOut = append(out.LeftOut, &orderv1.GuestCartLine{ProductId: l.ProductID, SkuId: l.SKUID, Quantity: l.Quantity})
	}
	return out, nil
}

type orderServer struct {
	orderv1.UnimplementedOrderServiceServer
	svc Services
}

func (s *orderServer) QuoteCheckout(ctx context.Context, req *orderv1.QuoteCheckoutRequest) (*orderv1.QuoteCheckoutResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.svc.Checkout.Quote(ctx, appQuoteInput(m, req))
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.QuoteCheckoutResponse{Quote: quoteProto(q)}, nil
}

func (s *orderServer) CreateOrder(ctx context.Context, req *orderv1.CreateOrderRequest) (*orderv1.CreateOrderResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Checkout.Place(ctx, placeInput(m, req))
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.CreateOrderResponse{Order: orderProto(o)}, nil
}

func (s *orderServer) GetMyOrder(ctx context.Context, req *orderv1.GetMyOrderRequest) (*orderv1.GetMyOrderResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.Mine(ctx, m, req.GetOrderId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.GetMyOrderResponse{Order: orderProto(o)}, nil
}

func (s *orderServer) ListMyOrders(ctx context.Context, req *orderv1.ListMyOrdersRequest) (*orderv1.ListMyOrdersResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	orders, next, err := list(ctx, s.svc.Orders, domain.OrderFilter{MemberID: m, Status: statusFromProto(req.GetStatus())}, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ListMyOrdersResponse{Orders: orders, NextPageToken: next}, nil
}

func (s *orderServer) CancelMyOrder(ctx context.Context, req *orderv1.CancelMyOrderRequest) (*orderv1.CancelMyOrderResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.Cancel(ctx, m, req.GetOrderId(), "shopper", req.GetReason())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.CancelMyOrderResponse{Order: orderProto(o)}, nil
}

func (s *orderServer) PayOrder(ctx context.Context, req *orderv1.PayOrderRequest) (*orderv1.PayOrderResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.svc.Payments.Pay(ctx, m, req.GetOrderId(), req.GetProvider(), req.GetPayerOpenid())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.PayOrderResponse{PaymentId: r.PaymentID, PayUrl: r.PayURL, Params: r.Params, AmountFen: r.AmountFen}, nil
}

func (s *orderServer) ConfirmReceipt(ctx context.Context, req *orderv1.ConfirmReceiptRequest) (*orderv1.ConfirmReceiptResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.ConfirmReceipt(ctx, m, req.GetOrderId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ConfirmReceiptResponse{Order: orderProto(o)}, nil
}

type adminServer struct {
	orderv1.UnimplementedOrderAdminServiceServer
	svc Services
}

func (s *adminServer) AdminGetOrder(ctx context.Context, req *orderv1.AdminGetOrderRequest) (*orderv1.AdminGetOrderResponse, error) {
	o, err := s.svc.Orders.Any(ctx, req.GetOrderId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.AdminGetOrderResponse{Order: adminOrderProto(o)}, nil
}

func adminFilter(req *orderv1.AdminListOrdersRequest) domain.OrderFilter {
	f := domain.OrderFilter{MemberID: req.GetMemberId(), Status: statusFromProto(req.GetStatus()), Phone: req.GetPhone(),
		MinFen: req.GetMinTotalFen(), MaxFen: req.GetMaxTotalFen(), ProductID: req.GetProductId()}
	if req.GetStartTime() != nil {
		f.From = req.GetStartTime().AsTime()
	}
	if req.GetEndTime() != nil {
		f.To = req.GetEndTime().AsTime()
	}
	return f
}

func (s *adminServer) AdminListOrders(ctx context.Context, req *orderv1.AdminListOrdersRequest) (*orderv1.AdminListOrdersResponse, error) {
	f := adminFilter(req)
	orders, next, err := list(ctx, s.svc.Orders, f, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.AdminListOrdersResponse{Orders: orders, NextPageToken: next}, nil
}

func (s *adminServer) ShipOrder(ctx context.Context, req *orderv1.ShipOrderRequest) (*orderv1.ShipOrderResponse, error) {
	o, err := s.svc.Orders.Ship(ctx, req.GetOrderId(), req.GetCarrier(), req.GetTrackingNumber(), units(req.GetLines()))
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ShipOrderResponse{Order: orderProto(o)}, nil
}

func (s *adminServer) AdminCancelOrder(ctx context.Context, req *orderv1.AdminCancelOrderRequest) (*orderv1.AdminCancelOrderResponse, error) {
	o, err := s.svc.Orders.Cancel(ctx, "", req.GetOrderId(), "operator", reasonBy(operator(ctx), req.GetReason()))
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.AdminCancelOrderResponse{Order: orderProto(o)}, nil
}

// reasonBy keeps who cancelled with why, for the order's history.
func reasonBy(who, why string) string {
	if who == "" {
		return why
	}
	return why + " (" + who + ")"
}

// refunders are the roles that may give money back.
var refunders = []string{auth.RoleOwner, auth.RoleOperator}

func (s *adminServer) RefundOrder(ctx context.Context, req *orderv1.RefundOrderRequest) (*orderv1.RefundOrderResponse, error) {
	if id, _ := auth.FromContext(ctx); id.Kind != auth.KindAdmin || !slices.ContainsFunc(refunders, id.HasRole) {
		return nil, status(ctx, fault.New(fault.Permission, domain.ReasonRoleRequired, "refunds need the owner or operator role", "required", strings.Join(refunders, ",")))
	}
	var want map[string]int64
	for _, l := range req.GetLines() {
		if want == nil {
			want = map[string]int64{}
		}
		want[l.GetLineId()] += l.GetQuantity()
	}
	o, err := s.svc.Payments.Refund(ctx, req.GetOrderId(), req.GetRequestId(), want, reasonBy(operator(ctx), req.GetReason()))
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.RefundOrderResponse{Order: orderProto(o)}, nil
}

func (s *adminServer) AdminUpdateOrder(ctx context.Context, req *orderv1.AdminUpdateOrderRequest) (*orderv1.AdminUpdateOrderResponse, error) {
	var u app.OrderUpdate
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, status(ctx, fault.New(fault.Invalid, domain.ReasonUpdateMaskInvalid, "update_mask names the fields to change: address, operator_note", "field", "update_mask"))
	}
	for _, p := range paths {
		switch p {
		case "address":
			a := addressFromProto(req.GetAddress())
			u.Address = &a
		case "operator_note":
			n := req.GetOperatorNote()
			u.OperatorNote = &n
		default:
			return nil, status(ctx, fault.New(fault.Invalid, domain.ReasonUpdateMaskInvalid, "only address and operator_note can change", "field", "update_mask", "path", p))
		}
	}
	o, err := s.svc.Orders.Update(ctx, req.GetOrderId(), u)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.AdminUpdateOrderResponse{Order: adminOrderProto(o)}, nil
}

// adminOrderProto is the back office's view: the order with the operators' note.
func adminOrderProto(o domain.Order) *orderv1.Order {
	out := orderProto(o)
	out.OperatorNote = o.OperatorNote
	return out
}

func (s *adminServer) GetOrderStats(ctx context.Context, req *orderv1.GetOrderStatsRequest) (*orderv1.GetOrderStatsResponse, error) {
	st, err := s.svc.Orders.Stats(ctx, req.GetDay())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.GetOrderStatsResponse{Day: st.Day, Placed: st.Placed, Paid: st.Paid, GmvFen: st.GMVFen, Cancelled: st.Cancelled,
		Refunded: st.Refunded, RefundedFen: st.RefundedFen}, nil
}

type placementServer struct {
	orderv1.UnimplementedOrderPlacementServiceServer
	svc Services
}

func (s *placementServer) PlaceOrderFor(ctx context.Context, req *orderv1.PlaceOrderForRequest) (*orderv1.PlaceOrderForResponse, error) {
	if req.GetMemberId() == "" {
		return nil, status(ctx, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "member_id is required", "field", "member_id"))
	}
	o, err := s.svc.Checkout.PlaceFor(ctx, app.PlaceForInput{MemberID: req.GetMemberId(), RequestID: req.GetRequestId(), Channel: req.GetChannel(),
		Address: addressFromProto(req.GetAddress()), Lines: buyNowOf(req.GetLines()), Activity: activityOf(req.GetActivity())})
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.PlaceOrderForResponse{Order: orderProto(o)}, nil
}

func (s *placementServer) RefundOrderFor(ctx context.Context, req *orderv1.RefundOrderForRequest) (*orderv1.RefundOrderForResponse, error) {
	if strings.TrimSpace(req.GetReason()) == "" {
		return nil, status(ctx, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a reason is required", "field", "reason"))
	}
	o, err := s.svc.Payments.Refund(ctx, req.GetOrderId(), req.GetRequestId(), nil, reasonBy(operator(ctx), req.GetReason()))
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.RefundOrderForResponse{Order: orderProto(o)}, nil
}

func (s *placementServer) ReleaseGroupOrder(ctx context.Context, req *orderv1.ReleaseGroupOrderRequest) (*orderv1.ReleaseGroupOrderResponse, error) {
	o, err := s.svc.Orders.GroupFilled(ctx, req.GetOrderId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ReleaseGroupOrderResponse{Order: orderProto(o)}, nil
}
