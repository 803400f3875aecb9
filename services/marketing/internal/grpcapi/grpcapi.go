// Package grpcapi serves the marketing contract: it checks the caller and
// converts messages; the kit's server maps faults to statuses.
package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/fault"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
)

// Policy is who may call what: anyone browses the coupon centre, members
// claim and hold coupons, staff read templates, owners and operators write
// and issue them, and only services price, lock and release at checkout.
var Policy = auth.Policy{
	marketingv1.CouponService_ListCouponOffers_FullMethodName: auth.Public,
	marketingv1.CouponService_ClaimCoupon_FullMethodName:      auth.MemberOnly,
	marketingv1.CouponService_RedeemCouponCode_FullMethodName: auth.MemberOnly,
	marketingv1.CouponService_ListMyCoupons_FullMethodName:    auth.MemberOnly,

	marketingv1.CouponAdminService_CreateCouponTemplate_FullMethodName:  auth.Operators,
	marketingv1.CouponAdminService_UpdateCouponTemplate_FullMethodName:  auth.Operators,
	marketingv1.CouponAdminService_EndCouponTemplate_FullMethodName:     auth.Operators,
	marketingv1.CouponAdminService_GetCouponTemplate_FullMethodName:     auth.Staff,
	marketingv1.CouponAdminService_ListCouponTemplates_FullMethodName:   auth.Staff,
	marketingv1.CouponAdminService_PreviewCouponTemplate_FullMethodName: auth.Staff,
	marketingv1.CouponAdminService_IssueCoupons_FullMethodName:          auth.Operators,
	marketingv1.CouponAdminService_CreateCouponCodes_FullMethodName:     auth.Operators,

	marketingv1.CheckoutCouponService_PriceCoupons_FullMethodName:   auth.ServiceOnly,
	marketingv1.CheckoutCouponService_LockCoupons_FullMethodName:    auth.ServiceOnly,
	marketingv1.CheckoutCouponService_ReleaseCoupons_FullMethodName: auth.ServiceOnly,
}

// Services are the use cases the handlers call.
type Services struct {
	Shop     *app.Shop
	Admin    *app.Admin
	Checkout *app.Checkout
}

// Register serves every marketing contract on s.
func Register(s grpc.ServiceRegistrar, svc Services) {
	marketingv1.RegisterCouponServiceServer(s, &couponServer{svc: svc})
	marketingv1.RegisterCouponAdminServiceServer(s, &adminServer{svc: svc})
	marketingv1.RegisterCheckoutCouponServiceServer(s, &checkoutServer{svc: svc})
}

// member is the calling member (the policy admits members only).
func member(ctx context.Context) (string, error) {
	id, ok := auth.FromContext(ctx)
	if !ok || id.Kind != auth.KindMember || id.Subject == "" {
		return "", fault.New(fault.Unauthenticated, domain.ReasonTokenMissing, "a member token is required")
	}
	return id.Subject, nil
}

// visitor is the calling member, or "" for anyone else.
func visitor(ctx context.Context) string {
	if id, ok := auth.FromContext(ctx); ok && id.Kind == auth.KindMember {
		return id.Subject
	}
	return ""
}
