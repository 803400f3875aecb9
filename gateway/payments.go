package gateway

import (
	"io"
	"net/http"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	mw "siyu.dev/gateway/internal/middleware"
	orderv1 "siyu.dev/proto/siyu/order/v1"
)

// maxNotifyBytes bounds a provider's callback body; WeChat Pay's are a few
// kilobytes.
const maxNotifyBytes = 64 << 10

// paymentNotify forwards a payment provider's asynchronous callback to the
// order service byte for byte (the provider adapter verifies its signature
// over the exact body) and answers the provider with what the order service
// says. Providers carry no token: the route is public, and only a valid
// signature makes a notification count.
func paymentNotify(conn grpc.ClientConnInterface) http.Handler {
	client := orderv1.NewPaymentCallbackServiceClient(conn)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxNotifyBytes+1))
		if err != nil {
			mw.Fail(w, http.StatusBadRequest, codes.InvalidArgument, "BODY_UNREADABLE", "the body could not be read")
			return
		}
		if len(body) > maxNotifyBytes {
			mw.Fail(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "BODY_TOO_LARGE", "the notification is too large")
			return
		}
		headers := make(map[string]string, len(r.Header))
		for k, v := range r.Header {
			headers[http.CanonicalHeaderKey(k)] = strings.Join(v, ", ")
		}
		resp, err := client.HandlePaymentNotification(r.Context(), &orderv1.HandlePaymentNotificationRequest{
			Provider: r.PathValue("provider"), Headers: headers, Body: body})
		if err != nil {
			mw.WriteError(w, err)
			return
		}
		if ct := resp.GetContentType(); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		status := int(resp.GetHttpStatus())
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(resp.GetBody())
	})
}
