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

	marketingv1.CheckoutPromotionService_PricePromotions_FullMethodName:   auth.ServiceOnly,
	marketingv1.CheckoutPromotionService_HoldPromotions_FullMethodName:    auth.ServiceOnly,
	marketingv1.CheckoutPromotionService_ReleasePromotions_FullMethodName: auth.ServiceOnly,

	marketingv1.FlashSaleService_ListFlashSales_FullMethodName:        auth.Public,
	marketingv1.FlashSaleService_GetFlashSale_FullMethodName:          auth.Public,
	marketingv1.FlashSaleService_ReserveFlashSale_FullMethodName:      auth.MemberOnly,
	marketingv1.FlashSaleService_GetMyFlashReservation_FullMethodName: auth.MemberOnly,

	marketingv1.FlashSaleAdminService_CreateFlashSale_FullMethodName:     auth.Operators,
	marketingv1.FlashSaleAdminService_UpdateFlashSale_FullMethodName:     auth.Operators,
	marketingv1.FlashSaleAdminService_EndFlashSale_FullMethodName:        auth.Operators,
	marketingv1.FlashSaleAdminService_AdminListFlashSales_FullMethodName: auth.Staff,

	marketingv1.DiscountService_ListDiscounts_FullMethodName:           auth.Public,
	marketingv1.DiscountAdminService_CreateDiscount_FullMethodName:     auth.Operators,
	marketingv1.DiscountAdminService_UpdateDiscount_FullMethodName:     auth.Operators,
	marketingv1.DiscountAdminService_EndDiscount_FullMethodName:        auth.Operators,
	marketingv1.DiscountAdminService_AdminListDiscounts_FullMethodName: auth.Staff,

	marketingv1.ActivityCalendarService_ListActivities_FullMethodName: auth.Staff,

	marketingv1.GroupBuyService_ListGroupBuys_FullMethodName:                  auth.Public,
	marketingv1.GroupBuyService_GetGroupBuy_FullMethodName:                    auth.Public,
	marketingv1.GroupBuyService_GetGroup_FullMethodName:                       auth.Public,
	marketingv1.GroupBuyAdminService_CreateGroupBuy_FullMethodName:            auth.Operators,
	marketingv1.GroupBuyAdminService_EndGroupBuy_FullMethodName:               auth.Operators,
	marketingv1.GroupBuyAdminService_AdminListGroupBuys_FullMethodName:        auth.Staff,
	marketingv1.BargainService_ListBargainActivities_FullMethodName:           auth.Public,
	marketingv1.BargainService_StartBargain_FullMethodName:                    auth.MemberOnly,
	marketingv1.BargainService_GetBargain_FullMethodName:                      auth.Public,
	marketingv1.BargainService_HelpBargain_FullMethodName:                     auth.MemberOnly,
	marketingv1.BargainAdminService_CreateBargainActivity_FullMethodName:      auth.Operators,
	marketingv1.BargainAdminService_EndBargainActivity_FullMethodName:         auth.Operators,
	marketingv1.BargainAdminService_AdminListBargainActivities_FullMethodName: auth.Staff,
}

// Services are the use cases the handlers call.
type Services struct {
	Shop       *app.Shop
	Admin      *app.Admin
	Checkout   *app.Checkout
	FlashSales *app.FlashSales
	Discounts  *app.Discounts
	Calendar   *app.Calendar
	GroupBuys  *app.GroupBuys
	Bargains   *app.Bargains
	// Results are activities' results, for the operators' lists.
	Results app.ResultStore
}

// Register serves every marketing contract on s.
func Register(s grpc.ServiceRegistrar, svc Services) {
	marketingv1.RegisterCouponServiceServer(s, &couponServer{svc: svc})
	marketingv1.RegisterCouponAdminServiceServer(s, &adminServer{svc: svc})
	marketingv1.RegisterCheckoutPromotionServiceServer(s, &checkoutServer{svc: svc})
	marketingv1.RegisterFlashSaleServiceServer(s, &flashServer{svc: svc})
	marketingv1.RegisterFlashSaleAdminServiceServer(s, &flashAdminServer{svc: svc})
	marketingv1.RegisterDiscountServiceServer(s, &discountServer{svc: svc})
	marketingv1.RegisterDiscountAdminServiceServer(s, &discountAdminServer{svc: svc})
	marketingv1.RegisterActivityCalendarServiceServer(s, &calendarServer{svc: svc})
	marketingv1.RegisterGroupBuyServiceServer(s, &groupBuyServer{svc: svc})
	marketingv1.RegisterGroupBuyAdminServiceServer(s, &groupBuyAdminServer{svc: svc})
	marketingv1.RegisterBargainServiceServer(s, &bargainServer{svc: svc})
	marketingv1.RegisterBargainAdminServiceServer(s, &bargainAdminServer{svc: svc})
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
