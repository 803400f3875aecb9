package events

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
)

// Changed builds siyu.product.updated or siyu.product.published.
func Changed(ctx context.Context, e domain.ProductEvent) (natsx.Event, error) {
	p := e.Product
	switch e.Kind {
	case domain.EventUpdated:
		return natsx.NewEvent(ctx, SubjectUpdated, e.EventID, &productv1.ProductUpdated{
			EventId: e.EventID, OccurredAt: timestamppb.New(e.At), ProductId: p.ID, Version: p.Version, ChangedFields: e.Fields, Product: ProductProto(p),
		})
	case domain.EventPublished:
		return natsx.NewEvent(ctx, SubjectPublished, e.EventID, &productv1.ProductPublished{
			EventId: e.EventID, OccurredAt: timestamppb.New(e.At), ProductId: p.ID, Version: p.Version, Status: productv1.ProductStatus(p.Status), Product: ProductProto(p),
		})
	}
	return natsx.Event{}, fmt.Errorf("product event of kind %d", e.Kind)
}

// ProductProto is the wire form of a product, as the API and the events
// carry it.
func ProductProto(p domain.Product) *productv1.Product {
	price, list := p.PriceRange()
	out := &productv1.Product{Id: p.ID, Title: p.Title, Subtitle: p.Subtitle, CategoryId: p.CategoryID, ImageUrls: p.ImageURLs,
		PriceFen: price, ListPriceFen: list, Status: productv1.ProductStatus(p.Status), Tags: p.Tags, SortWeight: p.SortWeight,
		CreateTime: timestamppb.New(p.CreatedAt), UpdateTime: timestamppb.New(p.UpdatedAt), Skus: make([]*productv1.Sku, len(p.Skus)),
		BrandId: p.BrandID, DescriptionHtml: p.DescriptionHTML, PurchaseLimit: p.PurchaseLimit, Version: p.Version}
	for i, k := range p.Skus {
		out.Skus[i] = &productv1.Sku{Id: k.ID, Code: k.Code, Specs: k.Specs, PriceFen: k.PriceFen, ListPriceFen: k.ListPriceFen, Stock: k.Stock}
	}
	for _, a := range p.SpecAttrs {
		out.SpecAttributes = append(out.SpecAttributes, &productv1.SpecAttribute{Name: a.Name, Options: a.Options})
	}
	return out
}

// ProductFromProto is the inverse of ProductProto (ids and times included).
func ProductFromProto(p *productv1.Product) domain.Product {
	d := domain.Product{ID: p.GetId(), Title: p.GetTitle(), Subtitle: p.GetSubtitle(), CategoryID: p.GetCategoryId(), ImageURLs: p.GetImageUrls(),
		Status: domain.Status(p.GetStatus()), Tags: p.GetTags(), SortWeight: p.GetSortWeight(), BrandID: p.GetBrandId(),
		DescriptionHTML: p.GetDescriptionHtml(), PurchaseLimit: p.GetPurchaseLimit(), Version: p.GetVersion()}
	if p.GetCreateTime() != nil {
		d.CreatedAt = p.GetCreateTime().AsTime()
	}
	if p.GetUpdateTime() != nil {
		d.UpdatedAt = p.GetUpdateTime().AsTime()
	}
	for _, k := range p.GetSkus() {
		d.Skus = append(d.Skus, domain.Sku{ID: k.GetId(), Code: k.GetCode(), Specs: k.GetSpecs(), PriceFen: k.GetPriceFen(), ListPriceFen: k.GetListPriceFen(), Stock: k.GetStock()})
	}
	for _, a := range p.GetSpecAttributes() {
		d.SpecAttrs = append(d.SpecAttrs, domain.SpecAttr{Name: a.GetName(), Options: a.GetOptions()})
	}
	return d
}
