// Package app holds the order service's use cases: each a small type built
// with the ports it needs. Adapters (grpcapi, mongostore, the clients of
// member and product, the payment providers) live outside.
package app

import (
	"context"
	"net/http"
	"time"

	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/natsx"
	"siyu.dev/services/order/internal/domain"
)

// ErrStale is what a store answers when a compare-and-set lost to another
// writer: read again and retry.
var ErrStale = fault.New(fault.Aborted, domain.ReasonConcurrentUpdate, "the document changed meanwhile: try again")

// CartStore keeps carts by member id.
type CartStore interface {
	// Cart returns the member's cart (empty, version 0, when there is none).
	Cart(ctx context.Context, memberID string) (domain.Cart, error)
	// SaveCart writes c if its stored version is still c.Version (0: not
	// stored yet), bumping the version; otherwise ErrStale.
	SaveCart(ctx context.Context, c domain.Cart) error
}

// Quote is a priced checkout the shopper saw, stored until it expires.
type Quote struct {
	ID              string
	MemberID        string
	Pricing         domain.Pricing
	PointsRequested int64
	CouponIDs       []string
	Activity        domain.Activity
	// BuyNow: the lines were bought without the cart, which stays as it is.
	BuyNow        bool
	LevelID       string
	LevelPermille int64
	Address       domain.Address
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// QuoteStore keeps quotes by id.
type QuoteStore interface {
	SaveQuote(ctx context.Context, q Quote) error
	// Quote is QUOTE_NOT_FOUND when there is none.
	Quote(ctx context.Context, id string) (Quote, error)
}

// OrderStore keeps orders by id, with their outbox.
type OrderStore interface {
	// ClaimRequest records that the member's request_id placed orderID with
	// the request's hash, unless the request was seen before: then it
	// returns the first order id and hash and claimed false.
	ClaimRequest(ctx context.Context, memberID, requestID, orderID, hash string) (firstOrderID, firstHash string, claimed bool, err error)
	// Insert stores a new order.
	Insert(ctx context.Context, o domain.Order) error
	// Delete removes an order that never held anything.
	Delete(ctx context.Context, id string) error
	// Order is ORDER_NOT_FOUND when there is none.
	Order(ctx context.Context, id string) (domain.Order, error)
	// Update writes o if the stored version is still o.Version, bumping it,
	// and appends events to the order's outbox in the same write; otherwise
	// ErrStale.
	Update(ctx context.Context, o domain.Order, events ...natsx.Event) (domain.Order, error)
	// List pages through the visible orders f selects, newest first,
	// after the order id after ("" from the newest).
	List(ctx context.Context, f domain.OrderFilter, after string, limit int) ([]domain.Order, error)
	// Touched returns orders placed, paid, cancelled or refunded between
	// from and to (operators' daily counts; it may scan).
	Touched(ctx context.Context, from, to time.Time) ([]domain.Order, error)
	// Due returns orders whose deadline is at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]domain.Order, error)
}

// ProductView is what the catalogue says about a product now.
type ProductView struct {
	ID         string
	Title      string
	CategoryID string
	ImageURL   string
	OnShelf    bool
	Limit      int64
	SKUs       map[string]domain.SKUView
}

// Catalog reads products (product service).
type Catalog interface {
	// Products returns the products found; missing ones are absent.
	Products(ctx context.Context, ids []string) (map[string]ProductView, error)
}

// StockLine is units of a SKU to hold.
type StockLine struct {
	SKUID    string
	Quantity int64
}

// Inventory holds stock for orders (product service). Reserve is
// all-or-nothing and idempotent by order id; a lacking SKU is
// OUT_OF_STOCK. Release is idempotent and a no-op for an order that
// reserved nothing.
type Inventory interface {
	Reserve(ctx context.Context, orderID string, lines []StockLine, ttl time.Duration) error
	Release(ctx context.Context, orderID string) error
	// Restock puts sold units back on sale (a refund before shipping),
	// idempotent by refund id.
	Restock(ctx context.Context, refundID string, lines []StockLine) error
}

// MemberStanding is what checkout needs of a member.
type MemberStanding struct {
	Blocked       bool
	Deleted       bool
	LevelID       string
	LevelPermille int64
	Points        int64
}

// Members reads members and holds their points (member service). Freeze is
// idempotent by order id; not enough points is POINTS_INSUFFICIENT.
// Confirm and Release are idempotent.
type Members interface {
	Standing(ctx context.Context, memberID string) (MemberStanding, error)
	FreezePoints(ctx context.Context, memberID, orderID string, points int64) error
	ConfirmPoints(ctx context.Context, memberID, orderID string) error
	ReleasePoints(ctx context.Context, memberID, orderID string) error
}

// Payment provider port (the adapters live in internal/payment).

// PrepayRequest asks a provider to start a payment.
type PrepayRequest struct {
	PaymentID, OrderID       string
	AmountFen                int64
	Description, PayerOpenID string
	ExpireAt                 time.Time
}

// PrepayResult is what the client needs to pay.
type PrepayResult struct {
	PayURL string
	Params map[string]string
}

// Notification is a verified provider statement about a payment.
type Notification struct {
	PaymentID, ProviderTxnID string
	AmountFen                int64
	Currency                 string
	Succeeded                bool
	PaidAt                   time.Time
}

// RefundRequest asks a provider to give money back.
type RefundRequest struct {
	RefundID, PaymentID, ProviderTxnID string
	TotalFen, RefundFen                int64
	Reason                             string
}

// RefundResult is the provider's answer to a refund.
type RefundResult struct {
	ProviderRefundID string
	Status           string
}

// Provider is one payment provider.
type Provider interface {
	Name() string
	Prepay(ctx context.Context, r PrepayRequest) (PrepayResult, error)
	// ParseNotification verifies a raw callback (signature, decryption).
	ParseNotification(ctx context.Context, h http.Header, body []byte) (Notification, error)
	Query(ctx context.Context, paymentID string) (Notification, error)
	Refund(ctx context.Context, r RefundRequest) (RefundResult, error)
}

// Settings are the service's tunable rules.
type Settings struct {
	Timing   domain.Timing
	Points   domain.PointsRule
	Shipping domain.ShippingRule
	// QuoteTTL is how long a quote can be ordered (default 10 minutes).
	QuoteTTL time.Duration
	// PlacingTimeout is how long a saga may take before the sweeper gives
	// it up and releases what it held (default 1 minute).
	PlacingTimeout time.Duration
}

// DefaultSettings are the defaults.
func DefaultSettings() Settings {
	return Settings{Timing: domain.DefaultTiming, Points: domain.DefaultPointsRule, Shipping: domain.DefaultShippingRule,
		QuoteTTL: 10 * time.Minute, PlacingTimeout: time.Minute}
}
