package grpcapi

import (
	"sort"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/events"
)

var statusProto = map[domain.Status]orderv1.OrderStatus{
	domain.StatusPendingPayment: orderv1.OrderStatus_ORDER_STATUS_PENDING_PAYMENT,
	domain.StatusPaid:           orderv1.OrderStatus_ORDER_STATUS_PAID,
	domain.StatusShipped:        orderv1.OrderStatus_ORDER_STATUS_SHIPPED,
	domain.StatusReceived:       orderv1.OrderStatus_ORDER_STATUS_RECEIVED,
	domain.StatusCompleted:      orderv1.OrderStatus_ORDER_STATUS_COMPLETED,
	domain.StatusCancelled:      orderv1.OrderStatus_ORDER_STATUS_CANCELLED,
	domain.StatusRefunded:       orderv1.OrderStatus_ORDER_STATUS_REFUNDED,
}

func statusFromProto(s orderv1.OrderStatus) domain.Status {
	for k, v := range statusProto {
		if v == s {
			return k
		}
	}
	return ""
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func cartProto(v app.CartView) *orderv1.Cart {
	out := &orderv1.Cart{SelectedQuantity: v.SelectedQuantity, SelectedFen: v.SelectedFen}
	for _, l := range v.Lines {
		out.Lines = append(out.Lines, &orderv1.CartLine{SkuId: l.SKUID, ProductId: l.ProductID, Title: l.SKU.Title, SpecText: l.SKU.SpecText,
			ImageUrl: l.SKU.ImageURL, Quantity: l.Quantity, Selected: l.Selected, UnitPriceFen: l.SKU.PriceFen, SubtotalFen: l.Quantity * l.SKU.PriceFen,
			Available: l.SKU.Available, PurchaseLimit: l.SKU.PurchaseLimit, Problem: string(l.Problem)})
	}
	return out
}

func lineProto(id string, l domain.PricedLine) *orderv1.PricedLine {
	out := &orderv1.PricedLine{LineId: id, SkuId: l.SKUID, ProductId: l.ProductID, CategoryId: l.CategoryID, Title: l.Title, SpecText: l.SpecText,
		ImageUrl: l.ImageURL, Quantity: l.Quantity, UnitPriceFen: l.UnitPriceFen, SubtotalFen: l.SubtotalFen, PayableFen: l.PayableFen}
	for src, fen := range l.Discounts {
		if fen > 0 {
			out.Discounts = append(out.Discounts, &orderv1.Discount{Source: string(src), AmountFen: fen})
		}
	}
	sort.Slice(out.Discounts, func(i, j int) bool { return out.Discounts[i].Source < out.Discounts[j].Source })
	return out
}

func quoteProto(q app.Quote) *orderv1.Quote {
	p := q.Pricing
	out := &orderv1.Quote{QuoteId: q.ID, GoodsFen: p.GoodsFen(), PointsUsed: p.PointsUsed, ShippingFen: p.ShippingFen, TotalFen: p.TotalFen(),
		ExpireTime: ts(q.ExpiresAt), LevelId: q.LevelID}
	o := domain.Order{Promotions: p.Promotions}
	for _, l := range p.Lines {
		out.Lines = append(out.Lines, lineProto("", l))
		o.Lines = append(o.Lines, domain.OrderLine{PricedLine: l})
	}
	out.Discounts = events.Discounts(o)
	return out
}

func addressProto(a domain.Address) *orderv1.ShippingAddress {
	return &orderv1.ShippingAddress{Name: a.Name, Phone: a.Phone, Province: a.Province, City: a.City, District: a.District, Detail: a.Detail}
}

func addressFromProto(a *orderv1.ShippingAddress) domain.Address {
	return domain.Address{Name: a.GetName(), Phone: a.GetPhone(), Province: a.GetProvince(), City: a.GetCity(), District: a.GetDistrict(), Detail: a.GetDetail()}
}

func orderProto(o domain.Order) *orderv1.Order {
	out := &orderv1.Order{OrderId: o.ID, MemberId: o.MemberID, Status: statusProto[o.Status], GoodsFen: o.GoodsFen, PointsUsed: o.PointsUsed,
		ShippingFen: o.ShippingFen, TotalFen: o.TotalFen, Address: addressProto(o.Address), Remark: o.Remark, CreateTime: ts(o.CreatedAt),
		PayDeadline: ts(o.PayDeadline), PayTime: ts(o.PaidAt), ShipTime: ts(o.ShippedAt), ReceiveTime: ts(o.ReceivedAt), CompleteTime: ts(o.CompletedAt),
		CancelTime: ts(o.CancelledAt), CancelReason: o.CancelReason, Carrier: o.Carrier, TrackingNumber: o.TrackingNo,
		PaymentProvider: o.Provider, ProviderTransactionId: o.ProviderTxnID, NextDeadline: ts(o.DueAt), Discounts: events.Discounts(o),
		RefundFen: o.RefundFen, RefundTime: ts(o.RefundedAt)}
	if n := len(o.Refunds); n > 0 {
		out.RefundId = o.Refunds[n-1].ID
	}
	for _, l := range o.Lines {
		pl := lineProto(l.LineID, l.PricedLine)
		pl.RefundedQuantity, pl.ShippedQuantity = l.RefundedQty, l.ShippedQty
		out.Lines = append(out.Lines, pl)
	}
	for _, sh := range o.Shipments {
		out.Shipments = append(out.Shipments, &orderv1.Shipment{ShipmentId: sh.ID, Carrier: sh.Carrier, TrackingNumber: sh.TrackingNo,
			Lines: linesProto(sh.Lines), ShipTime: ts(sh.At)})
	}
	for _, r := range o.Refunds {
		rr := &orderv1.RefundRecord{RefundId: r.ID, RefundFen: r.Fen, Reason: r.Reason, AfterSaleId: r.AfterSaleID, Settled: r.Settled,
			CreateTime: ts(r.At), SettleTime: ts(r.SettledAt)}
		for _, l := range r.Lines {
			rr.Lines = append(rr.Lines, &orderv1.LineQuantity{LineId: l.LineID, Quantity: l.Quantity})
		}
		out.Refunds = append(out.Refunds, rr)
	}
	for _, a := range o.AfterSales {
		out.AfterSales = append(out.AfterSales, afterSaleProto(o, a))
	}
	out.AwaitingGroup = o.AwaitingGroup
	return out
}

func appQuoteInput(m string, req *orderv1.QuoteCheckoutRequest) app.QuoteInput {
	return app.QuoteInput{MemberID: m, Address: addressFromProto(req.GetAddress()), PointsToUse: req.GetPointsToUse(), CouponIDs: req.GetCouponIds(),
		BestCoupons: req.GetBestCoupons(), Activity: activityOf(req.GetActivity()), BuyNow: buyNowOf(req.GetBuyNow())}
}

func activityOf(a *orderv1.PromotionActivity) domain.Activity {
	return domain.Activity{Kind: domain.DiscountSource(a.GetKind()), ID: a.GetActivityId(), Ref: a.GetRef()}
}

func buyNowOf(ls []*orderv1.BuyNowLine) []domain.CartLine {
	out := make([]domain.CartLine, len(ls))
	for i, l := range ls {
		out[i] = domain.CartLine{ProductID: l.GetProductId(), SKUID: l.GetSkuId(), Quantity: l.GetQuantity(), Selected: true}
	}
	return out
}

func placeInput(m string, req *orderv1.CreateOrderRequest) app.PlaceInput {
	return app.PlaceInput{MemberID: m, RequestID: req.GetRequestId(), QuoteID: req.GetQuoteId(), Remark: req.GetRemark(), Channel: req.GetChannel()}
}
