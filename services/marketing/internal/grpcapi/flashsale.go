package grpcapi

import (
	"context"

	"siyu.dev/pkg/fault"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/app"
	"siyu.dev/services/marketing/internal/domain"
)

type flashServer struct {
	marketingv1.UnimplementedFlashSaleServiceServer
	svc Services
}

func (s *flashServer) ListFlashSales(ctx context.Context, _ *marketingv1.ListFlashSalesRequest) (*marketingv1.ListFlashSalesResponse, error) {
	list, err := s.svc.FlashSales.List(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.ListFlashSalesResponse{}
	for _, l := range list {
		out.FlashSales = append(out.FlashSales, flashSaleProto(l))
	}
	return out, nil
}

func (s *flashServer) GetFlashSale(ctx context.Context, req *marketingv1.GetFlashSaleRequest) (*marketingv1.GetFlashSaleResponse, error) {
	l, err := s.svc.FlashSales.Get(ctx, req.GetFlashSaleId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.GetFlashSaleResponse{FlashSale: flashSaleProto(l)}, nil
}

func (s *flashServer) ReserveFlashSale(ctx context.Context, req *marketingv1.ReserveFlashSaleRequest) (*marketingv1.ReserveFlashSaleResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	a := req.GetAddress()
	r, err := s.svc.FlashSales.Reserve(ctx, me, req.GetFlashSaleId(), req.GetRequestId(), app.Address{Name: a.GetName(), Phone: a.GetPhone(),
		Province: a.GetProvince(), City: a.GetCity(), District: a.GetDistrict(), Detail: a.GetDetail()})
	if err != nil {
		return nil, err
	}
	return &marketingv1.ReserveFlashSaleResponse{Reservation: reservationProto(r)}, nil
}

func (s *flashServer) GetMyFlashReservation(ctx context.Context, req *marketingv1.GetMyFlashReservationRequest) (*marketingv1.GetMyFlashReservationResponse, error) {
	me, err := member(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.svc.FlashSales.Mine(ctx, me, req.GetReservationId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.GetMyFlashReservationResponse{Reservation: reservationProto(r)}, nil
}

type flashAdminServer struct {
	marketingv1.UnimplementedFlashSaleAdminServiceServer
	svc Services
}

func needFlashSale(p *marketingv1.FlashSale) error {
	if p == nil {
		return fault.New(fault.Invalid, domain.ReasonActivityInvalid, "flash_sale is required", "field", "flash_sale")
	}
	return nil
}

func (s *flashAdminServer) CreateFlashSale(ctx context.Context, req *marketingv1.CreateFlashSaleRequest) (*marketingv1.CreateFlashSaleResponse, error) {
	if err := needFlashSale(req.GetFlashSale()); err != nil {
		return nil, err
	}
	f := flashSaleOf(req.GetFlashSale())
	var err error
	if req.GetValidateOnly() {
		err = f.Validate()
	} else {
		f, err = s.svc.FlashSales.Create(ctx, f)
	}
	if err != nil {
		return nil, err
	}
	return &marketingv1.CreateFlashSaleResponse{FlashSale: flashSaleProto(app.Listed{FlashSale: f, Remaining: f.Stock})}, nil
}

func (s *flashAdminServer) UpdateFlashSale(ctx context.Context, req *marketingv1.UpdateFlashSaleRequest) (*marketingv1.UpdateFlashSaleResponse, error) {
	if err := needFlashSale(req.GetFlashSale()); err != nil {
		return nil, err
	}
	f, err := s.svc.FlashSales.Update(ctx, flashSaleOf(req.GetFlashSale()))
	if err != nil {
		return nil, err
	}
	return &marketingv1.UpdateFlashSaleResponse{FlashSale: flashSaleProto(app.Listed{FlashSale: f, Remaining: f.Stock})}, nil
}

func (s *flashAdminServer) EndFlashSale(ctx context.Context, req *marketingv1.EndFlashSaleRequest) (*marketingv1.EndFlashSaleResponse, error) {
	f, err := s.svc.FlashSales.End(ctx, req.GetFlashSaleId())
	if err != nil {
		return nil, err
	}
	return &marketingv1.EndFlashSaleResponse{FlashSale: flashSaleProto(app.Listed{FlashSale: f})}, nil
}

func (s *flashAdminServer) AdminListFlashSales(ctx context.Context, _ *marketingv1.AdminListFlashSalesRequest) (*marketingv1.AdminListFlashSalesResponse, error) {
	list, err := s.svc.FlashSales.AdminList(ctx)
	if err != nil {
		return nil, err
	}
	out := &marketingv1.AdminListFlashSalesResponse{}
	for _, l := range list {
		out.FlashSales = append(out.FlashSales, &marketingv1.FlashSaleStats{FlashSale: flashSaleProto(l), Orders: l.Results.Orders, Paid: l.Results.Paid,
			PaidFen: l.Results.PaidFen, DiscountFen: l.Results.DiscountFen})
	}
	return out, nil
}
