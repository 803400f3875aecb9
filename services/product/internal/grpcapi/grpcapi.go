// Package grpcapi serves the product service's gRPC API: protobuf in and
// out, access rules, and the one mapping from domain errors to statuses.
package grpcapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/events"
)

const errDomain = "product.siyu.dev"

// Policy is who may call what, over every part of the service.
var Policy = auth.Merge(catalogPolicy, reviewPolicy, recommendPolicy)

// catalogPolicy guards the catalogue, search, inventory and shopper lists.
var catalogPolicy = auth.Policy{
	productv1.ProductService_ListProducts_FullMethodName:        auth.Public,
	productv1.ProductService_GetProduct_FullMethodName:          auth.Public,
	productv1.ProductService_ListCategories_FullMethodName:      auth.Public,
	productv1.ProductService_CreateCategory_FullMethodName:      auth.Operators,
	productv1.ProductService_CreateProduct_FullMethodName:       auth.Operators,
	productv1.ProductService_SearchProducts_FullMethodName:      auth.Public,
	productv1.ProductService_SuggestKeywords_FullMethodName:     auth.Public,
	productv1.ProductService_ListHotKeywords_FullMethodName:     auth.Public,
	productv1.ProductService_ListBlockedKeywords_FullMethodName: auth.Operators,
	productv1.ProductService_BlockKeyword_FullMethodName:        auth.Operators,
	productv1.ProductService_UnblockKeyword_FullMethodName:      auth.Operators,
	productv1.ProductService_RemoveHotKeyword_FullMethodName:    auth.Operators,
	productv1.ProductService_ListBrands_FullMethodName:          auth.Public,
	productv1.ProductService_UpdateCategory_FullMethodName:      auth.Operators,
	productv1.ProductService_DeleteCategory_FullMethodName:      auth.Operators,
	productv1.ProductService_CreateBrand_FullMethodName:         auth.Operators,
	productv1.ProductService_UpdateBrand_FullMethodName:         auth.Operators,
	productv1.ProductService_DeleteBrand_FullMethodName:         auth.Operators,
	productv1.ProductService_AdminGetProduct_FullMethodName:     auth.Staff,
	productv1.ProductService_AdminListProducts_FullMethodName:   auth.Staff,
	productv1.ProductService_UpdateProduct_FullMethodName:       auth.Operators,
	productv1.ProductService_PublishProduct_FullMethodName:      auth.Operators,
	productv1.ProductService_UnpublishProduct_FullMethodName:    auth.Operators,
	productv1.ProductService_ImportProducts_FullMethodName:      auth.Operators,
	// Reservations are the checkout saga's: the order service's token only.
	// Reading and adjusting stock is for operators.
	productv1.InventoryService_ReserveStock_FullMethodName:         auth.ServiceOnly,
	productv1.InventoryService_ConfirmReservation_FullMethodName:   auth.ServiceOnly,
	productv1.InventoryService_ReleaseReservation_FullMethodName:   auth.ServiceOnly,
	productv1.InventoryService_GetReservation_FullMethodName:       auth.Staff,
	productv1.InventoryService_GetStock_FullMethodName:             auth.Staff,
	productv1.InventoryService_AdjustStock_FullMethodName:          auth.Operators,
	productv1.InventoryService_ListStockAdjustments_FullMethodName: auth.Staff,
	// A member's own lists.
	productv1.ShopperService_AddFavourite_FullMethodName:         auth.MemberOnly,
	productv1.ShopperService_RemoveFavourite_FullMethodName:      auth.MemberOnly,
	productv1.ShopperService_ListFavourites_FullMethodName:       auth.MemberOnly,
	productv1.ShopperService_RecordProductView_FullMethodName:    auth.MemberOnly,
	productv1.ShopperService_ListBrowsingHistory_FullMethodName:  auth.MemberOnly,
	productv1.ShopperService_ClearBrowsingHistory_FullMethodName: auth.MemberOnly,
}

// Services are the use cases the handlers call.
type Services struct {
	Catalog   *app.Catalog
	Products  *app.Products
	Importer  *app.Importer
	Keywords  *app.Keywords
	Inventory *app.Inventory
	Lists     *app.ShopperLists
	// Reviews and Recommender are served only when set: tests of the
	// catalogue leave them out.
	Reviews     *app.Reviews
	Recommender *app.Recommender
}

// Register serves the product contracts on s.
func Register(s grpc.ServiceRegistrar, svc Services) {
	productv1.RegisterProductServiceServer(s, server{svc: svc})
	productv1.RegisterInventoryServiceServer(s, inventory{svc: svc})
	productv1.RegisterShopperServiceServer(s, shopper{svc: svc})
	if svc.Reviews != nil {
		productv1.RegisterReviewServiceServer(s, reviews{r: svc.Reviews})
	}
	if svc.Recommender != nil {
		productv1.RegisterRecommendationServiceServer(s, recommendations{r: svc.Recommender})
	}
}

func toStatus(ctx context.Context, err error) error { return errs.Status(ctx, errDomain, err) }

type server struct {
	productv1.UnimplementedProductServiceServer
	svc Services
}

func (s server) ListProducts(ctx context.Context, req *productv1.ListProductsRequest) (*productv1.ListProductsResponse, error) {
	page, err := s.svc.Catalog.ListProducts(req.GetCategoryId(), req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err // page size and token errors are statuses already
	}
	out := &productv1.ListProductsResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.Total), Products: make([]*productv1.Product, len(page.Products))}
	for i, p := range page.Products {
		out.Products[i] = toProto(p)
	}
	return out, nil
}

func (s server) GetProduct(ctx context.Context, req *productv1.GetProductRequest) (*productv1.GetProductResponse, error) {
	if req.GetId() == "" {
		return nil, toStatus(ctx, domain.ErrIDRequired.WithMsg("id is required").With("field", "id"))
	}
	p, err := s.svc.Catalog.GetProduct(req.GetId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.GetProductResponse{Product: toProto(p)}, nil
}

func (s server) ListCategories(ctx context.Context, _ *productv1.ListCategoriesRequest) (*productv1.ListCategoriesResponse, error) {
	cats := s.svc.Catalog.Categories()
	out := &productv1.ListCategoriesResponse{Categories: make([]*productv1.Category, len(cats))}
	for i, c := range cats {
		out.Categories[i] = categoryProto(c)
	}
	return out, nil
}

func (s server) CreateCategory(ctx context.Context, req *productv1.CreateCategoryRequest) (*productv1.CreateCategoryResponse, error) {
	c := req.GetCategory()
	if c == nil {
		return nil, toStatus(ctx, domain.ErrCategoryRequired)
	}
	got, err := s.svc.Products.CreateCategory(ctx, domain.Category{ParentID: c.GetParentId(), Name: c.GetName(), Sort: c.GetSort(), IconURL: c.GetIconUrl()}, req.GetCategoryId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.CreateCategoryResponse{Category: categoryProto(got)}, nil
}

func (s server) CreateProduct(ctx context.Context, req *productv1.CreateProductRequest) (*productv1.CreateProductResponse, error) {
	p := req.GetProduct()
	if p == nil {
		return nil, toStatus(ctx, domain.ErrProductRequired)
	}
	got, err := s.svc.Products.CreateProduct(ctx, fromProto(p), req.GetProductId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.CreateProductResponse{Product: toProto(got)}, nil
}

// fromProto is the writable part of a product from a request.
func fromProto(p *productv1.Product) domain.Product {
	d := events.ProductFromProto(p)
	d.ID, d.Version, d.CreatedAt, d.UpdatedAt = "", 0, time.Time{}, time.Time{}
	for i := range d.Skus {
		d.Skus[i].ID = ""
	}
	return d
}

func (s server) SearchProducts(ctx context.Context, req *productv1.SearchProductsRequest) (*productv1.SearchProductsResponse, error) {
	q := domain.SearchQuery{Query: req.GetQuery(), CategoryID: req.GetCategoryId(), MinPrice: req.GetMinPriceFen(), MaxPrice: req.GetMaxPriceFen(),
		Tags: req.GetTags(), InStock: req.GetInStockOnly(), Order: domain.SearchOrder(req.GetOrderBy())}
	// Search is public; a signed-in member's searches carry the member.
	var member, client string
	if id, ok := auth.FromContext(ctx); ok && id.Kind == auth.KindMember {
		member, client = id.Subject, id.Subject
	} else if ip := auth.ClientIP(ctx); ip != "" {
		// A digest: the hot-keyword counts need to tell clients apart, not
		// to know their addresses.
		sum := sha256.Sum256([]byte(ip))
		client = "net:" + hex.EncodeToString(sum[:8])
	}
	page, err := s.svc.Catalog.SearchProducts(ctx, member, client, q, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.SearchProductsResponse{NextPageToken: page.NextPageToken, TotalSize: int32(page.Total), Products: make([]*productv1.Product, len(page.Products))}
	for i, p := range page.Products {
		out.Products[i] = toProto(p)
	}
	for _, f := range page.Facets {
		out.CategoryFacets = append(out.CategoryFacets, &productv1.CategoryFacet{CategoryId: f.Category.ID, Name: f.Category.Name, Level: f.Category.Level, Count: int32(f.Count)})
	}
	return out, nil
}

func (s server) SuggestKeywords(ctx context.Context, req *productv1.SuggestKeywordsRequest) (*productv1.SuggestKeywordsResponse, error) {
	list, err := s.svc.Keywords.SuggestKeywords(req.GetPrefix(), req.GetLimit())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.SuggestKeywordsResponse{Suggestions: list}, nil
}

func (s server) ListHotKeywords(ctx context.Context, req *productv1.ListHotKeywordsRequest) (*productv1.ListHotKeywordsResponse, error) {
	list, err := s.svc.Keywords.HotKeywords(req.GetLimit())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out := &productv1.ListHotKeywordsResponse{}
	for _, h := range list {
		out.Keywords = append(out.Keywords, &productv1.HotKeyword{Keyword: h.Keyword, Count: h.Count})
	}
	return out, nil
}

func (s server) ListBlockedKeywords(ctx context.Context, _ *productv1.ListBlockedKeywordsRequest) (*productv1.ListBlockedKeywordsResponse, error) {
	list, err := s.svc.Keywords.BlockedKeywords(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.ListBlockedKeywordsResponse{Keywords: list}, nil
}

func (s server) BlockKeyword(ctx context.Context, req *productv1.BlockKeywordRequest) (*productv1.BlockKeywordResponse, error) {
	if err := s.svc.Keywords.BlockKeyword(ctx, req.GetKeyword()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.BlockKeywordResponse{}, nil
}

func (s server) UnblockKeyword(ctx context.Context, req *productv1.UnblockKeywordRequest) (*productv1.UnblockKeywordResponse, error) {
	if err := s.svc.Keywords.UnblockKeyword(ctx, req.GetKeyword()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.UnblockKeywordResponse{}, nil
}

func (s server) RemoveHotKeyword(ctx context.Context, req *productv1.RemoveHotKeywordRequest) (*productv1.RemoveHotKeywordResponse, error) {
	if err := s.svc.Keywords.RemoveHotKeyword(ctx, req.GetKeyword()); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &productv1.RemoveHotKeywordResponse{}, nil
}

func categoryProto(c domain.Category) *productv1.Category {
	return &productv1.Category{Id: c.ID, ParentId: c.ParentID, Name: c.Name, Sort: c.Sort, IconUrl: c.IconURL, Level: c.Level}
}

func toProto(p domain.Product) *productv1.Product {
	out := events.ProductProto(p)
	out.Sales, out.RecentSales = p.Sales, p.RecentSales
	out.RatingX100, out.ReviewCount = p.RatingX100, p.ReviewCount
	return out
}
