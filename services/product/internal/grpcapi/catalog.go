package grpcapi

import (
	"context"

	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/importfile"
)

func brandProto(b domain.Brand) *productv1.Brand {
	return &productv1.Brand{Id: b.ID, Name: b.Name, LogoUrl: b.LogoURL, Sort: b.Sort, Description: b.Description}
}

func (s server) UpdateCategory(ctx context.Context, req *productv1.UpdateCategoryRequest) (*productv1.UpdateCategoryResponse, error) {
	c := req.GetCategory()
	if c.GetId() == "" {
		return nil, toStatus(ctx, domain.ErrIDRequired.WithMsg("category.id is required").With("field", "category.id"))
	}
	got, err := s.svc.Products.UpdateCategory(ctx, domain.Category{ID: c.GetId(), Name: c.GetName(), Sort: c.GetSort(), IconURL: c.GetIconUrl()}, req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.UpdateCategoryResponse{Category: categoryProto(got)}, nil
}

func (s server) DeleteCategory(ctx context.Context, req *productv1.DeleteCategoryRequest) (*productv1.DeleteCategoryResponse, error) {
	if req.GetCategoryId() == "" {
		return nil, toStatus(ctx, domain.ErrIDRequired.WithMsg("category_id is required").With("field", "category_id"))
	}
	if err := s.svc.Products.DeleteCategory(ctx, req.GetCategoryId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.DeleteCategoryResponse{}, nil
}

func (s server) ListBrands(ctx context.Context, _ *productv1.ListBrandsRequest) (*productv1.ListBrandsResponse, error) {
	out := &productv1.ListBrandsResponse{}
	for _, b := range s.svc.Catalog.Brands() {
		out.Brands = append(out.Brands, brandProto(b))
	}
	return out, nil
}

func (s server) CreateBrand(ctx context.Context, req *productv1.CreateBrandRequest) (*productv1.CreateBrandResponse, error) {
	b := req.GetBrand()
	if b == nil {
		return nil, toStatus(ctx, domain.ErrBrandRequired)
	}
	got, err := s.svc.Products.CreateBrand(ctx, domain.Brand{Name: b.GetName(), LogoURL: b.GetLogoUrl(), Sort: b.GetSort(), Description: b.GetDescription()}, req.GetBrandId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.CreateBrandResponse{Brand: brandProto(got)}, nil
}

func (s server) UpdateBrand(ctx context.Context, req *productv1.UpdateBrandRequest) (*productv1.UpdateBrandResponse, error) {
	b := req.GetBrand()
	if b.GetId() == "" {
		return nil, toStatus(ctx, domain.ErrIDRequired.WithMsg("brand.id is required").With("field", "brand.id"))
	}
	got, err := s.svc.Products.UpdateBrand(ctx, domain.Brand{ID: b.GetId(), Name: b.GetName(), LogoURL: b.GetLogoUrl(), Sort: b.GetSort(), Description: b.GetDescription()}, req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.UpdateBrandResponse{Brand: brandProto(got)}, nil
}

func (s server) DeleteBrand(ctx context.Context, req *productv1.DeleteBrandRequest) (*productv1.DeleteBrandResponse, error) {
	if req.GetBrandId() == "" {
		return nil, toStatus(ctx, domain.ErrIDRequired.WithMsg("brand_id is required").With("field", "brand_id"))
	}
	if err := s.svc.Products.DeleteBrand(ctx, req.GetBrandId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.DeleteBrandResponse{}, nil
}

func (s server) AdminGetProduct(ctx context.Context, req *productv1.AdminGetProductRequest) (*productv1.AdminGetProductResponse, error) {
	if req.GetId() == "" {
		return nil, toStatus(ctx, domain.ErrIDRequired.WithMsg("id is required").With("field", "id"))
	}
	p, err := s.svc.Products.AdminGetProduct(req.GetId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.AdminGetProductResponse{Product: toProto(p)}, nil
}

func (s server) AdminListProducts(ctx context.Context, req *productv1.AdminListProductsRequest) (*productv1.AdminListProductsResponse, error) {
	page, err := s.svc.Products.AdminListProducts(req.GetCategoryId(), domain.Status(req.GetStatus()), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.AdminListProductsResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.Total)}
	for _, p := range page.Products {
		out.Products = append(out.Products, toProto(p))
	}
	return out, nil
}

func (s server) UpdateProduct(ctx context.Context, req *productv1.UpdateProductRequest) (*productv1.UpdateProductResponse, error) {
	p := req.GetProduct()
	if p == nil {
		return nil, toStatus(ctx, domain.ErrProductRequired)
	}
	patch := fromProto(p)
	patch.ID, patch.Version = p.GetId(), p.GetVersion()
	got, err := s.svc.Products.UpdateProduct(ctx, patch, req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.UpdateProductResponse{Product: toProto(got)}, nil
}

func (s server) PublishProduct(ctx context.Context, req *productv1.PublishProductRequest) (*productv1.PublishProductResponse, error) {
	got, err := s.svc.Products.PublishProduct(ctx, req.GetId(), req.GetVersion())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.PublishProductResponse{Product: toProto(got)}, nil
}

func (s server) UnpublishProduct(ctx context.Context, req *productv1.UnpublishProductRequest) (*productv1.UnpublishProductResponse, error) {
	got, err := s.svc.Products.UnpublishProduct(ctx, req.GetId(), req.GetVersion())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.UnpublishProductResponse{Product: toProto(got)}, nil
}

func (s server) ImportProducts(ctx context.Context, req *productv1.ImportProductsRequest) (*productv1.ImportProductsResponse, error) {
	format := map[productv1.ImportFormat]string{productv1.ImportFormat_IMPORT_FORMAT_JSON: importfile.JSON, productv1.ImportFormat_IMPORT_FORMAT_CSV: importfile.CSV}[req.GetFormat()]
	file, err := importfile.Parse(format, req.GetContent())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	rep, err := s.svc.Importer.ImportProducts(ctx, file)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ImportProductsResponse{CreatedIds: rep.Created, ExistingIds: rep.Existing}
	for _, e := range rep.Errors {
		out.Errors = append(out.Errors, &productv1.ImportError{Row: int32(e.Row), ProductId: e.ProductID, Field: e.Field, Reason: e.Reason, Message: e.Message})
	}
	return out, nil
}
