// Package clients are the order service's adapters to the product and
// member services. Saga calls (reserve and release stock, freeze, confirm
// and release points) carry the order service's own short-lived service
// token, never the shopper's, since those calls are for services only.
package clients

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/fault"
	memberv1 "siyu.dev/proto/siyu/member/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
)

// Tokens is the order service's own identity for saga calls.
type Tokens = auth.ServiceToken

// NewTokens signs the order service's tokens with issuer.
func NewTokens(issuer *auth.Issuer) *Tokens { return auth.NewServiceToken(issuer, "order-service") }

// remote reads a status from another service back as a fault.
func remote(err error) error {
	if err == nil {
		return nil
	}
	return errs.Fault(err)
}

// notFound reports whether err says the thing does not exist.
func notFound(err error) bool { return fault.KindOf(err) == fault.NotFound }

// Catalog reads products through the product service's public API, and
// the back-office read for products the public one no longer shows (taken
// off the shelf), so a cart line says OFF_SHELF rather than vanishing.
type Catalog struct {
	products productv1.ProductServiceClient
	tokens   *Tokens
}

// NewCatalog uses conn to the product service.
func NewCatalog(conn grpc.ClientConnInterface, tokens *Tokens) *Catalog {
	return &Catalog{products: productv1.NewProductServiceClient(conn), tokens: tokens}
}

// hidden reads a product the public API does not show; missing is nil.
func (c *Catalog) hidden(ctx context.Context, id string) (*productv1.Product, error) {
	ctx, err := c.tokens.As(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.products.AdminGetProduct(ctx, &productv1.AdminGetProductRequest{Id: id})
	if err = remote(err); notFound(err) {
		return nil, nil
	}
	return res.GetProduct(), err
}

// Products fetches the products concurrently; missing ones are left out.
func (c *Catalog) Products(ctx context.Context, ids []string) (map[string]app.ProductView, error) {
	out := make(map[string]app.ProductView, len(ids))
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.products.GetProduct(ctx, &productv1.GetProductRequest{Id: id})
			p := res.GetProduct()
			if err = remote(err); notFound(err) {
				p, err = c.hidden(ctx, id)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			if p != nil {
				out[id] = productView(p)
			}
		}()
	}
	wg.Wait()
	return out, first
}

func productView(p *productv1.Product) app.ProductView {
	v := app.ProductView{ID: p.GetId(), Title: p.GetTitle(), CategoryID: p.GetCategoryId(), OnShelf: p.GetStatus() == productv1.ProductStatus_PRODUCT_STATUS_ON_SALE,
		Limit: int64(p.GetPurchaseLimit()), SKUs: map[string]domain.SKUView{}}
	if imgs := p.GetImageUrls(); len(imgs) > 0 {
		v.ImageURL = imgs[0]
	}
	for _, s := range p.GetSkus() {
		v.SKUs[s.GetId()] = domain.SKUView{SKUID: s.GetId(), ProductID: v.ID, CategoryID: v.CategoryID, Title: v.Title, SpecText: specText(s.GetSpecs()),
			ImageURL: v.ImageURL, PriceFen: s.GetPriceFen(), OnShelf: v.OnShelf, Available: s.GetStock(), PurchaseLimit: v.Limit}
	}
	return v
}

func specText(specs map[string]string) string {
	keys := make([]string, 0, len(specs))
	for k := range specs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, 0, len(keys))
	for _, k := range keys {
		vals = append(vals, specs[k])
	}
	return strings.Join(vals, " / ")
}

// Inventory holds stock through the product service's inventory.
type Inventory struct {
	inv    productv1.InventoryServiceClient
	tokens *Tokens
}

// NewInventory uses conn to the product service.
func NewInventory(conn grpc.ClientConnInterface, tokens *Tokens) *Inventory {
	return &Inventory{inv: productv1.NewInventoryServiceClient(conn), tokens: tokens}
}

// Reserve holds every line or none.
func (i *Inventory) Reserve(ctx context.Context, orderID string, lines []app.StockLine, ttl time.Duration) error {
	ctx, err := i.tokens.As(ctx)
	if err != nil {
		return err
	}
	req := &productv1.ReserveStockRequest{OrderId: orderID, TtlSeconds: int32(ttl / time.Second)}
	for _, l := range lines {
		req.Lines = append(req.Lines, &productv1.StockLine{SkuId: l.SKUID, Quantity: l.Quantity})
	}
	_, err = i.inv.ReserveStock(ctx, req)
	return remote(err)
}

// Release gives the order's stock back; no reservation is nothing to do.
func (i *Inventory) Release(ctx context.Context, orderID string) error {
	ctx, err := i.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = i.inv.ReleaseReservation(ctx, &productv1.ReleaseReservationRequest{OrderId: orderID})
	if err = remote(err); notFound(err) {
		return nil
	}
	return err
}

// Restock puts refunded units back on sale: one audited stock adjustment
// per SKU, idempotent by the refund and SKU.
func (i *Inventory) Restock(ctx context.Context, refundID string, lines []app.StockLine) error {
	ctx, err := i.tokens.As(ctx)
	if err != nil {
		return err
	}
	for _, l := range lines {
		_, err := i.inv.AdjustStock(ctx, &productv1.AdjustStockRequest{SkuId: l.SKUID, Delta: l.Quantity,
			Reason: "发货前退款 " + refundID + "，退回库存", RequestId: restockID(refundID, l.SKUID)})
		if err := remote(err); err != nil {
			return err
		}
	}
	return nil
}

// Members reads members and holds points through the member service.
type Members struct {
	levels memberv1.LevelServiceClient
	points memberv1.PointsServiceClient
	tokens *Tokens
}

// NewMembers uses conn to the member service.
func NewMembers(conn grpc.ClientConnInterface, tokens *Tokens) *Members {
	return &Members{levels: memberv1.NewLevelServiceClient(conn), points: memberv1.NewPointsServiceClient(conn), tokens: tokens}
}

// Standing is the member's state, level discount and points balance, in
// the member service's one service-only call for checkout.
func (m *Members) Standing(ctx context.Context, memberID string) (app.MemberStanding, error) {
	ctx, err := m.tokens.As(ctx)
	if err != nil {
		return app.MemberStanding{}, err
	}
	st, err := m.levels.GetMemberStanding(ctx, &memberv1.GetMemberStandingRequest{MemberId: memberID})
	if err != nil {
		return app.MemberStanding{}, remote(err)
	}
	tier := st.GetLevel().GetTier()
	return app.MemberStanding{Blocked: st.GetBlocked(), Deleted: st.GetDeleted(), LevelID: tier.GetId(),
		LevelPermille: int64(tier.GetDiscountPermille()), Points: st.GetAvailablePoints()}, nil
}

// FreezePoints holds points for the order.
func (m *Members) FreezePoints(ctx context.Context, memberID, orderID string, points int64) error {
	ctx, err := m.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = m.points.FreezePoints(ctx, &memberv1.FreezePointsRequest{MemberId: memberID, OrderId: orderID, Points: points})
	return remote(err)
}

// ConfirmPoints spends the order's hold.
func (m *Members) ConfirmPoints(ctx context.Context, memberID, orderID string) error {
	ctx, err := m.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = m.points.ConfirmPoints(ctx, &memberv1.ConfirmPointsRequest{MemberId: memberID, OrderId: orderID})
	return remote(err)
}

// ReleasePoints gives the order's hold back; no hold is nothing to do.
func (m *Members) ReleasePoints(ctx context.Context, memberID, orderID string) error {
	ctx, err := m.tokens.As(ctx)
	if err != nil {
		return err
	}
	_, err = m.points.ReleasePoints(ctx, &memberv1.ReleasePointsRequest{MemberId: memberID, OrderId: orderID})
	if err = remote(err); notFound(err) {
		return nil
	}
	return err
}

// restockID is the adjustment's request id: fixed by the refund and SKU, and
// short enough for product's 64-character limit.
func restockID(refundID, sku string) string {
	sum := sha256.Sum256([]byte(refundID + "\x00" + sku))
	return "restock-" + hex.EncodeToString(sum[:12])
}
