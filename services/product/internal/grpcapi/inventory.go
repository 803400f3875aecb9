package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
)

type inventory struct {
	productv1.UnimplementedInventoryServiceServer
	svc Services
}

func (s inventory) ReserveStock(ctx context.Context, req *productv1.ReserveStockRequest) (*productv1.ReserveStockResponse, error) {
	lines := make([]domain.Line, len(req.GetLines()))
	for i, l := range req.GetLines() {
		lines[i] = domain.Line{SkuID: l.GetSkuId(), Qty: l.GetQuantity()}
	}
	r, err := s.svc.Inventory.ReserveStock(ctx, req.GetOrderId(), lines, req.GetTtlSeconds())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ReserveStockResponse{Reservation: reservationProto(r)}, nil
}

func (s inventory) ConfirmReservation(ctx context.Context, req *productv1.ConfirmReservationRequest) (*productv1.ConfirmReservationResponse, error) {
	r, err := s.svc.Inventory.ConfirmReservation(ctx, req.GetOrderId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ConfirmReservationResponse{Reservation: reservationProto(r)}, nil
}

func (s inventory) ReleaseReservation(ctx context.Context, req *productv1.ReleaseReservationRequest) (*productv1.ReleaseReservationResponse, error) {
	r, err := s.svc.Inventory.ReleaseReservation(ctx, req.GetOrderId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ReleaseReservationResponse{Reservation: reservationProto(r)}, nil
}

func (s inventory) GetReservation(ctx context.Context, req *productv1.GetReservationRequest) (*productv1.GetReservationResponse, error) {
	r, err := s.svc.Inventory.GetReservation(ctx, req.GetOrderId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.GetReservationResponse{Reservation: reservationProto(r)}, nil
}

func (s inventory) GetStock(ctx context.Context, req *productv1.GetStockRequest) (*productv1.GetStockResponse, error) {
	l, err := s.svc.Inventory.GetStock(ctx, req.GetSkuId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.GetStockResponse{Stock: levelProto(l)}, nil
}

func (s inventory) AdjustStock(ctx context.Context, req *productv1.AdjustStockRequest) (*productv1.AdjustStockResponse, error) {
	id, _ := auth.FromContext(ctx)
	l, a, err := s.svc.Inventory.AdjustStock(ctx, id.Subject, req.GetSkuId(), req.GetDelta(), req.GetReason(), req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.AdjustStockResponse{Stock: levelProto(l), Adjustment: adjustmentProto(a)}, nil
}

func (s inventory) ListStockAdjustments(ctx context.Context, req *productv1.ListStockAdjustmentsRequest) (*productv1.ListStockAdjustmentsResponse, error) {
	list, next, err := s.svc.Inventory.ListStockAdjustments(ctx, req.GetSkuId(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ListStockAdjustmentsResponse{NextPageToken: next, Adjustments: make([]*productv1.StockAdjustment, len(list))}
	for i, a := range list {
		out.Adjustments[i] = adjustmentProto(a)
	}
	return out, nil
}

func reservationProto(r domain.Reservation) *productv1.Reservation {
	out := &productv1.Reservation{OrderId: r.OrderID, State: productv1.ReservationState(r.State), CreateTime: timestamppb.New(r.CreatedAt), ExpireTime: timestamppb.New(r.ExpiresAt)}
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, &productv1.StockLine{SkuId: l.SkuID, Quantity: l.Qty})
	}
	return out
}

func levelProto(l domain.StockLevel) *productv1.StockLevel {
	return &productv1.StockLevel{SkuId: l.SkuID, ProductId: l.ProductID, Available: l.Available, Reserved: l.Reserved, Sold: l.Sold, LowThreshold: l.LowThreshold}
}

func adjustmentProto(a domain.Adjustment) *productv1.StockAdjustment {
	return &productv1.StockAdjustment{RequestId: a.RequestID, SkuId: a.SkuID, Delta: a.Delta, Reason: a.Reason, Operator: a.Operator,
		AvailableBefore: a.Before, AvailableAfter: a.After, CreateTime: timestamppb.New(a.At)}
}
