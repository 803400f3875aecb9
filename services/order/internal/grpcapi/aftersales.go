package grpcapi

import (
	"context"

	"siyu.dev/pkg/pagetoken"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

var (
	kindProto = map[domain.AfterSaleKind]orderv1.AfterSaleKind{
		domain.KindRefundOnly:   orderv1.AfterSaleKind_AFTER_SALE_KIND_REFUND_ONLY,
		domain.KindReturnRefund: orderv1.AfterSaleKind_AFTER_SALE_KIND_RETURN_REFUND,
		domain.KindExchange:     orderv1.AfterSaleKind_AFTER_SALE_KIND_EXCHANGE,
	}
	afterSaleStatusProto = map[domain.AfterSaleStatus]orderv1.AfterSaleStatus{
		domain.AfterSaleRequested:      orderv1.AfterSaleStatus_AFTER_SALE_STATUS_REQUESTED,
		domain.AfterSaleAwaitingReturn: orderv1.AfterSaleStatus_AFTER_SALE_STATUS_AWAITING_RETURN,
		domain.AfterSaleReturning:      orderv1.AfterSaleStatus_AFTER_SALE_STATUS_RETURNING,
		domain.AfterSaleRefunded:       orderv1.AfterSaleStatus_AFTER_SALE_STATUS_REFUNDED,
		domain.AfterSaleExchanged:      orderv1.AfterSaleStatus_AFTER_SALE_STATUS_EXCHANGED,
		domain.AfterSaleRejected:       orderv1.AfterSaleStatus_AFTER_SALE_STATUS_REJECTED,
		domain.AfterSaleWithdrawn:      orderv1.AfterSaleStatus_AFTER_SALE_STATUS_WITHDRAWN,
	}
)

func reverse[K comparable, V comparable](m map[K]V, v V) K {
	for k, w := range m {
		if w == v {
			return k
		}
	}
	var zero K
	return zero
}

// units turns request lines into units per line id (nil when empty).
func units(lines []*orderv1.LineQuantity) map[string]int64 {
	var want map[string]int64
	for _, l := range lines {
		if want == nil {
			want = map[string]int64{}
		}
		want[l.GetLineId()] += l.GetQuantity()
	}
	return want
}

func linesProto(lines []domain.ShipmentLine) []*orderv1.LineQuantity {
	out := make([]*orderv1.LineQuantity, 0, len(lines))
	for _, l := range lines {
		out = append(out, &orderv1.LineQuantity{LineId: l.LineID, Quantity: l.Quantity})
	}
	return out
}

func afterSaleProto(o domain.Order, a domain.AfterSale) *orderv1.AfterSale {
	out := &orderv1.AfterSale{AfterSaleId: a.ID, OrderId: domain.OrderOfAfterSale(a.ID), Kind: kindProto[a.Kind], Status: afterSaleStatusProto[a.Status],
		Reason: a.Reason, PhotoUrls: a.Photos, Lines: linesProto(a.Lines), OperatorNote: a.OperatorNote, ReturnCarrier: a.ReturnCarrier,
		ReturnTrackingNumber: a.ReturnTrackingNo, ReplacementCarrier: a.ReplacementCarrier, ReplacementTrackingNumber: a.ReplacementNo,
		RefundId: a.RefundID, RefundFen: a.RefundFen, CreateTime: ts(a.CreatedAt), UpdateTime: ts(a.UpdatedAt)}
	if r, ok := o.FindRefund(a.RefundID); ok {
		out.RefundSettled = r.Settled
	}
	for _, st := range a.Timeline {
		out.Timeline = append(out.Timeline, &orderv1.AfterSaleStep{Status: afterSaleStatusProto[st.Status], Time: ts(st.At), By: st.By, Note: st.Note})
	}
	return out
}

func parcelsProto(ps []app.ParcelTrace) []*orderv1.ParcelTrace {
	out := make([]*orderv1.ParcelTrace, 0, len(ps))
	for _, p := range ps {
		pt := &orderv1.ParcelTrace{ShipmentId: p.Shipment.ID, Carrier: p.Shipment.Carrier, TrackingNumber: p.Shipment.TrackingNo,
			State: p.Trace.State, ErrorReason: string(p.Err)}
		for _, e := range p.Trace.Events {
			pt.Events = append(pt.Events, &orderv1.TrackingEvent{Time: ts(e.At), Location: e.Location, Description: e.Text})
		}
		out = append(out, pt)
	}
	return out
}

func (s *orderServer) TrackMyOrder(ctx context.Context, req *orderv1.TrackMyOrderRequest) (*orderv1.TrackMyOrderResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.svc.Orders.Mine(ctx, m, req.GetOrderId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.TrackMyOrderResponse{Parcels: parcelsProto(s.svc.Tracking.Trace(ctx, o))}, nil
}

func (s *orderServer) ApplyAfterSale(ctx context.Context, req *orderv1.ApplyAfterSaleRequest) (*orderv1.ApplyAfterSaleResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.svc.AfterSales.Request(ctx, m, req.GetOrderId(), domain.AfterSaleRequest{RequestID: req.GetRequestId(),
		Kind: reverse(kindProto, req.GetKind()), Reason: req.GetReason(), Photos: req.GetPhotoUrls(), Lines: units(req.GetLines())})
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ApplyAfterSaleResponse{AfterSale: afterSaleProto(domain.Order{}, a)}, nil
}

func (s *orderServer) GetMyAfterSale(ctx context.Context, req *orderv1.GetMyAfterSaleRequest) (*orderv1.GetMyAfterSaleResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	o, a, err := s.svc.AfterSales.Mine(ctx, m, req.GetAfterSaleId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.GetMyAfterSaleResponse{AfterSale: afterSaleProto(o, a)}, nil
}

func (s *orderServer) ListMyAfterSales(ctx context.Context, req *orderv1.ListMyAfterSalesRequest) (*orderv1.ListMyAfterSalesResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	list, next, err := listAfterSales(ctx, s.svc.AfterSales, domain.OrderFilter{MemberID: m}, "", req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ListMyAfterSalesResponse{AfterSales: list, NextPageToken: next}, nil
}

// listAfterSales pages through orders with requests; a page looks at
// size orders and its token is the last of them.
func listAfterSales(ctx context.Context, as *app.AfterSales, f domain.OrderFilter, st domain.AfterSaleStatus, size int32, tok string) ([]*orderv1.AfterSale, string, error) {
	n, err := pagetoken.PageSize(size, defaultPage, maxPage)
	if err != nil {
		return nil, "", err
	}
	key := "after-sales " + string(st) + " " + f.MemberID
	after, err := pagetoken.DecodeAfter(tok, key)
	if err != nil {
		return nil, "", err
	}
	got, last, err := as.List(ctx, f, st, after, n)
	if err != nil {
		return nil, "", err
	}
	out := make([]*orderv1.AfterSale, 0, len(got))
	for _, a := range got {
		out = append(out, afterSaleProto(domain.Order{}, a))
	}
	next := ""
	if last != "" {
		next = pagetoken.EncodeAfter(key, last)
	}
	return out, next, nil
}

func (s *orderServer) SendBackAfterSale(ctx context.Context, req *orderv1.SendBackAfterSaleRequest) (*orderv1.SendBackAfterSaleResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.svc.AfterSales.SendBack(ctx, m, req.GetAfterSaleId(), req.GetCarrier(), req.GetTrackingNumber())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.SendBackAfterSaleResponse{AfterSale: afterSaleProto(domain.Order{}, a)}, nil
}

func (s *orderServer) WithdrawAfterSale(ctx context.Context, req *orderv1.WithdrawAfterSaleRequest) (*orderv1.WithdrawAfterSaleResponse, error) {
	m, err := member(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.svc.AfterSales.Withdraw(ctx, m, req.GetAfterSaleId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.WithdrawAfterSaleResponse{AfterSale: afterSaleProto(domain.Order{}, a)}, nil
}

func (s *adminServer) AdminTrackOrder(ctx context.Context, req *orderv1.AdminTrackOrderRequest) (*orderv1.AdminTrackOrderResponse, error) {
	o, err := s.svc.Orders.Any(ctx, req.GetOrderId())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.AdminTrackOrderResponse{Parcels: parcelsProto(s.svc.Tracking.Trace(ctx, o))}, nil
}

func (s *adminServer) AdminListAfterSales(ctx context.Context, req *orderv1.AdminListAfterSalesRequest) (*orderv1.AdminListAfterSalesResponse, error) {
	st := reverse(afterSaleStatusProto, req.GetStatus())
	list, next, err := listAfterSales(ctx, s.svc.AfterSales, domain.OrderFilter{AfterSaleStatus: st}, st, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.AdminListAfterSalesResponse{AfterSales: list, NextPageToken: next}, nil
}

func (s *adminServer) DecideAfterSale(ctx context.Context, req *orderv1.DecideAfterSaleRequest) (*orderv1.DecideAfterSaleResponse, error) {
	a, err := s.svc.AfterSales.Decide(ctx, req.GetAfterSaleId(), domain.AfterSaleDecision{Approve: req.GetApprove(), Note: req.GetNote()})
	if err != nil {
		return nil, status(ctx, err)
	}
	o, _, _ := s.svc.AfterSales.Any(ctx, a.ID)
	return &orderv1.DecideAfterSaleResponse{AfterSale: afterSaleProto(o, a)}, nil
}

func (s *adminServer) ReceiveAfterSaleReturn(ctx context.Context, req *orderv1.ReceiveAfterSaleReturnRequest) (*orderv1.ReceiveAfterSaleReturnResponse, error) {
	a, err := s.svc.AfterSales.ReceiveReturn(ctx, req.GetAfterSaleId(), req.GetReplacementCarrier(), req.GetReplacementTrackingNumber(), req.GetNote())
	if err != nil {
		return nil, status(ctx, err)
	}
	o, _, _ := s.svc.AfterSales.Any(ctx, a.ID)
	return &orderv1.ReceiveAfterSaleReturnResponse{AfterSale: afterSaleProto(o, a)}, nil
}

func (s *adminServer) ExportOrders(ctx context.Context, req *orderv1.ExportOrdersRequest) (*orderv1.ExportOrdersResponse, error) {
	f := adminFilter(req.GetFilter())
	file, err := s.svc.Export.CSV(ctx, f)
	if err != nil {
		return nil, status(ctx, err)
	}
	return &orderv1.ExportOrdersResponse{Csv: string(file.Data), OrderCount: int32(file.Orders), Truncated: file.Truncated}, nil
}
