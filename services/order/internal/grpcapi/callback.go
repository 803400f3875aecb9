package grpcapi

import (
	"context"
	"net/http"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	orderv1 "siyu.dev/proto/siyu/order/v1"
)

// Ack is what the provider receives back for its callback.
type Ack struct {
	HTTPStatus  int
	Body        []byte
	ContentType string
}

// Notifications verifies and applies a provider's raw callback.
type Notifications interface {
	HandleNotification(ctx context.Context, provider string, h http.Header, body []byte) (Ack, error)
}

// CallbackPolicy: the gateway calls on behalf of a provider that holds no
// token; the provider adapter's signature check is the authentication.
var CallbackPolicy = auth.Policy{
	"/siyu.order.v1.PaymentCallbackService/HandlePaymentNotification": auth.Public,
}

type callbackServer struct {
	orderv1.UnimplementedPaymentCallbackServiceServer
	n Notifications
}

// RegisterCallbacks serves PaymentCallbackService.
func RegisterCallbacks(s grpc.ServiceRegistrar, n Notifications) {
	orderv1.RegisterPaymentCallbackServiceServer(s, &callbackServer{n: n})
}

func (s *callbackServer) HandlePaymentNotification(ctx context.Context, req *orderv1.HandlePaymentNotificationRequest) (*orderv1.HandlePaymentNotificationResponse, error) {
	h := http.Header{}
	for k, v := range req.GetHeaders() {
		h.Set(k, v)
	}
	ack, err := s.n.HandleNotification(ctx, req.GetProvider(), h, req.GetBody())
	if err != nil {
		return nil, errs.Status(ctx, Domain, err)
	}
	return &orderv1.HandlePaymentNotificationResponse{HttpStatus: int32(ack.HTTPStatus), Body: ack.Body, ContentType: ack.ContentType}, nil
}
