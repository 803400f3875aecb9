// Package grpcapi serves the order service's gRPC contract: it checks the
// caller, converts messages and maps faults to statuses, and nothing else.
package grpcapi

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/pagetoken"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// Domain is the ErrorInfo domain of the order service's reasons.
const Domain = "order.siyu.dev"

// Policy is who may call what: shoppers their cart and orders, operators
// the back office, anyone (verified by the provider's signature) the
// payment callback.
var Policy = auth.Merge(CallbackPolicy, SandboxPolicy, auth.Policy{
	orderv1.CartService_GetMyCart_FullMethodName:       auth.MemberOnly,
	orderv1.CartService_AddCartLine_FullMethodName:     auth.MemberOnly,
	orderv1.CartService_UpdateCartLine_FullMethodName:  auth.MemberOnly,
	orderv1.CartService_RemoveCartLines_FullMethodName: auth.MemberOnly,
	orderv1.CartService_SelectCartLines_FullMethodName: auth.MemberOnly,
	orderv1.CartService_MergeGuestCart_FullMethodName:  auth.MemberOnly,

	orderv1.OrderService_QuoteCheckout_FullMethodName:     auth.MemberOnly,
	orderv1.OrderService_CreateOrder_FullMethodName:       auth.MemberOnly,
	orderv1.OrderService_GetMyOrder_FullMethodName:        auth.MemberOnly,
	orderv1.OrderService_ListMyOrders_FullMethodName:      auth.MemberOnly,
	orderv1.OrderService_CancelMyOrder_FullMethodName:     auth.MemberOnly,
	orderv1.OrderService_PayOrder_FullMethodName:          auth.MemberOnly,
	orderv1.OrderService_ConfirmReceipt_FullMethodName:    auth.MemberOnly,
	orderv1.OrderService_TrackMyOrder_FullMethodName:      auth.MemberOnly,
	orderv1.OrderService_ApplyAfterSale_FullMethodName:    auth.MemberOnly,
	orderv1.OrderService_GetMyAfterSale_FullMethodName:    auth.MemberOnly,
	orderv1.OrderService_ListMyAfterSales_FullMethodName:  auth.MemberOnly,
	orderv1.OrderService_SendBackAfterSale_FullMethodName: auth.MemberOnly,
	orderv1.OrderService_WithdrawAfterSale_FullMethodName: auth.MemberOnly,

	orderv1.OrderPlacementService_PlaceOrderFor_FullMethodName:     auth.ServiceOnly,
	orderv1.OrderPlacementService_RefundOrderFor_FullMethodName:    auth.ServiceOnly,
	orderv1.OrderPlacementService_ReleaseGroupOrder_FullMethodName: auth.ServiceOnly,

	orderv1.OrderAdminService_AdminGetOrder_FullMethodName:          auth.Staff,
	orderv1.OrderAdminService_AdminListOrders_FullMethodName:        auth.Staff,
	orderv1.OrderAdminService_GetOrderStats_FullMethodName:          auth.Staff,
	orderv1.OrderAdminService_ShipOrder_FullMethodName:              auth.Operators,
	orderv1.OrderAdminService_AdminCancelOrder_FullMethodName:       auth.Operators,
	orderv1.OrderAdminService_RefundOrder_FullMethodName:            auth.Operators,
	orderv1.OrderAdminService_AdminUpdateOrder_FullMethodName:       auth.Operators,
	orderv1.OrderAdminService_AdminTrackOrder_FullMethodName:        auth.Staff,
	orderv1.OrderAdminService_ExportOrders_FullMethodName:           auth.Operators,
	orderv1.OrderAdminService_AdminListAfterSales_FullMethodName:    auth.Staff,
	orderv1.OrderAdminService_DecideAfterSale_FullMethodName:        auth.Operators,
	orderv1.OrderAdminService_ReceiveAfterSaleReturn_FullMethodName: auth.Operators,
})

// Services are the use cases the handlers call.
type Services struct {
	Carts      *app.Carts
	Checkout   *app.Checkout
	Orders     *app.Orders
	Payments   *app.Payments
	AfterSales *app.AfterSales
	Tracking   *app.Tracking
	Export     *app.Export
}

// Register serves every order contract on s.
func Register(s grpc.ServiceRegistrar, svc Services) {
	orderv1.RegisterCartServiceServer(s, &cartServer{svc: svc})
	orderv1.RegisterOrderServiceServer(s, &orderServer{svc: svc})
	orderv1.RegisterOrderAdminServiceServer(s, &adminServer{svc: svc})
	orderv1.RegisterOrderPlacementServiceServer(s, &placementServer{svc: svc})
	RegisterCallbacks(s, svc.Payments)
}

func status(ctx context.Context, err error) error { return errs.Status(ctx, Domain, err) }

// member is the calling member (the policy admits members only).
func member(ctx context.Context) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Kind != auth.KindMember || id.Subject == "" {
		return "", status(ctx, fault.New(fault.Unauthenticated, domain.ReasonTokenMissing, "a member token is required"))
	}
	return id.Subject, nil
}

// operator is the calling operator or service's subject.
func operator(ctx context.Context) string {
	id, _ := auth.FromContext(ctx)
	return id.Subject
}

// Pages hold up to 50 entries, 20 by default; their tokens are
// pkg/pagetoken's cursors (the last id, bound to the listing's filter).
const defaultPage, maxPage = 20, 50

// list pages through orders and makes the next token.
func list(ctx context.Context, o *app.Orders, f domain.OrderFilter, size int32, tok string) ([]*orderv1.Order, string, error) {
	n, err := pagetoken.PageSize(size, defaultPage, maxPage)
	if err != nil {
		return nil, "", err
	}
	filter := fmt.Sprintf("%+v", f)
	after, err := pagetoken.DecodeAfter(tok, filter)
	if err != nil {
		return nil, "", err
	}
	got, err := o.List(ctx, f, after, n+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(got) > n {
		got = got[:n]
		next = pagetoken.EncodeAfter(filter, got[n-1].ID)
	}
	out := make([]*orderv1.Order, 0, len(got))
	for _, g := range got {
		out = append(out, orderProto(g))
	}
	return out, next, nil
}
