package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/fault"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/payment/sandbox"
)

// SandboxPolicy: a shopper settles the sandbox payment of their own order.
var SandboxPolicy = auth.Policy{
	orderv1.SandboxPaymentService_ConfirmSandboxPayment_FullMethodName: auth.MemberOnly,
}

// RegisterSandbox serves the sandbox bank; only when the sandbox is on.
func RegisterSandbox(s grpc.ServiceRegistrar, orders *app.Orders, sb *sandbox.Sandbox) {
	orderv1.RegisterSandboxPaymentServiceServer(s, &sandboxServer{orders: orders, sb: sb})
}

type sandboxServer struct {
	orderv1.UnimplementedSandboxPaymentServiceServer
	orders *app.Orders
	sb     *sandbox.Sandbox
}

func (s *sandboxServer) ConfirmSandboxPayment(ctx context.Context, req *orderv1.ConfirmSandboxPaymentRequest) (*orderv1.ConfirmSandboxPaymentResponse, error) {
	memberID, err := member(ctx)
	if err != nil {
		return nil, err
	}
	// The payment must be the sandbox payment of the caller's own order;
	// anyone else's is as unknown as a made-up id.
	notFound := fault.New(fault.NotFound, domain.ReasonPaymentNotFound, "no such sandbox payment", "payment_id", req.GetPaymentId())
	orderID := app.OrderOfPayment(req.GetPaymentId())
	if orderID == "" || app.PaymentID(orderID, sandbox.Name) != req.GetPaymentId() {
		return nil, status(ctx, notFound)
	}
	if _, err := s.orders.Mine(ctx, memberID, orderID); err != nil {
		return nil, status(ctx, notFound)
	}
	st, err := s.sb.Confirm(ctx, req.GetPaymentId(), req.GetDecline())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ConfirmSandboxPaymentResponse{Status: st}, nil
}
