package grpcapi

import (
	"context"
	"encoding/json"
	"net/http"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/fault"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/app"
)

// Notifications verifies and applies a provider's raw callback.
type Notifications interface {
	HandleNotification(ctx context.Context, provider string, h http.Header, body []byte) (app.Ack, error)
}

// CallbackPolicy: the gateway calls on behalf of a provider that holds no
// token; the provider adapter's signature check is the authentication.
var CallbackPolicy = auth.Policy{
	orderv1.PaymentCallbackService_HandlePaymentNotification_FullMethodName: auth.Public,
}

type callbackServer struct {
	orderv1.UnimplementedPaymentCallbackServiceServer
	n Notifications
}

// RegisterCallbacks serves PaymentCallbackService.
func RegisterCallbacks(s grpc.ServiceRegistrar, n Notifications) {
	orderv1.RegisterPaymentCallbackServiceServer(s, &callbackServer{n: n})
}

// httpStatus is what a provider is told about a refused notification: a
// 4xx for one that cannot succeed, a 5xx for one worth retrying.
var httpStatus = map[fault.Kind]int{
	fault.Invalid: http.StatusBadRequest, fault.NotFound: http.StatusNotFound, fault.Precondition: http.StatusConflict,
	fault.Unauthenticated: http.StatusUnauthorized, fault.Permission: http.StatusForbidden,
}

// HandlePaymentNotification answers in-band: the gateway writes the
// response to the provider as it is, so a refusal is an HTTP status and a
// body in the provider's FAIL format, not a gRPC error. Only unexpected
// failures are gRPC errors (the gateway answers them 5xx, and providers
// retry).
func (s *callbackServer) HandlePaymentNotification(ctx context.Context, req *orderv1.HandlePaymentNotificationRequest) (*orderv1.HandlePaymentNotificationResponse, error) {
	h := http.Header{}
	for k, v := range req.GetHeaders() {
		h.Set(k, v)
	}
	ack, err := s.n.HandleNotification(ctx, req.GetProvider(), h, req.GetBody())
	if err != nil {
		f, ok := fault.As(err)
		code, known := httpStatus[fault.KindOf(err)]
		if !ok || !known {
			return nil, errs.Status(ctx, Domain, err)
		}
		body, _ := json.Marshal(map[string]string{"code": "FAIL", "message": string(f.Reason)})
		return &orderv1.HandlePaymentNotificationResponse{HttpStatus: int32(code), Body: body, ContentType: "application/json"}, nil
	}
	return &orderv1.HandlePaymentNotificationResponse{HttpStatus: int32(ack.HTTPStatus), Body: ack.Body, ContentType: ack.ContentType}, nil
}
