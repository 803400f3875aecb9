package gateway

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	analyticsv1 "siyu.dev/proto/siyu/analytics/v1"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	messagingv1 "siyu.dev/proto/siyu/messaging/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
)

// Handler registers one contract's REST routes on the mux.
type Handler func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error

// Service is one backend: its name, its default gRPC port and the
// contracts the gateway routes to it. Its address comes from the
// gateway's Config field whose variable is SIYU_<NAME>_ADDR.
type Service struct {
	Name     string
	Port     int
	Handlers []Handler
}

// DefaultAddr is where the service listens unless configured otherwise.
func (s Service) DefaultAddr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// AddrVar is the variable that names the service's address.
func (s Service) AddrVar() string { return "SIYU_" + strings.ToUpper(s.Name) + "_ADDR" }

// Services is the one table of the shop's backends, in start order: the
// gateway routes by it, and `siyu dev`, `siyu seed` and the deploy tests
// read it. A new service is a row here (and a Config field for its
// address, which a test checks).
var Services = []Service{
	{"member", 9101, []Handler{memberv1.RegisterAuthServiceHandler, memberv1.RegisterMemberServiceHandler, memberv1.RegisterAddressServiceHandler,
		memberv1.RegisterPointsServiceHandler, memberv1.RegisterSignInServiceHandler, memberv1.RegisterLevelServiceHandler,
		memberv1.RegisterTagServiceHandler, memberv1.RegisterSegmentServiceHandler}},
	{"product", 9102, []Handler{productv1.RegisterProductServiceHandler, productv1.RegisterInventoryServiceHandler, productv1.RegisterShopperServiceHandler,
		productv1.RegisterReviewServiceHandler, productv1.RegisterRecommendationServiceHandler}},
	{"order", 9103, []Handler{orderv1.RegisterCartServiceHandler, orderv1.RegisterOrderServiceHandler, orderv1.RegisterOrderAdminServiceHandler,
		orderv1.RegisterSandboxPaymentServiceHandler}},
	{"marketing", 9104, []Handler{marketingv1.RegisterCouponServiceHandler, marketingv1.RegisterCouponAdminServiceHandler,
		marketingv1.RegisterFlashSaleServiceHandler, marketingv1.RegisterFlashSaleAdminServiceHandler, marketingv1.RegisterDiscountServiceHandler,
		marketingv1.RegisterDiscountAdminServiceHandler, marketingv1.RegisterActivityCalendarServiceHandler, marketingv1.RegisterGroupBuyServiceHandler,
		marketingv1.RegisterGroupBuyAdminServiceHandler, marketingv1.RegisterBargainServiceHandler, marketingv1.RegisterBargainAdminServiceHandler,
		marketingv1.RegisterBannerServiceHandler, marketingv1.RegisterBannerAdminServiceHandler}},
	{"messaging", 9105, []Handler{messagingv1.RegisterInboxServiceHandler, messagingv1.RegisterTemplateServiceHandler,
		messagingv1.RegisterNotificationRuleServiceHandler, messagingv1.RegisterDeliveryServiceHandler, messagingv1.RegisterBroadcastServiceHandler,
		messagingv1.RegisterConversationServiceHandler, messagingv1.RegisterConversationAdminServiceHandler}},
	{"analytics", 9106, []Handler{analyticsv1.RegisterTrackingServiceHandler, analyticsv1.RegisterTrackingAdminServiceHandler}},
}

// Addr is the configured address of a service ("" leaves it out): the
// Config field whose env tag is its AddrVar.
func (c Config) Addr(s Service) string {
	v := reflect.ValueOf(c)
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("env") == s.AddrVar() {
			return v.Field(i).String()
		}
	}
	return ""
}

// ServiceNamed returns the table's row of a service.
func ServiceNamed(name string) (Service, bool) {
	for _, s := range Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}
