// Package domain holds the product service's entities and rules: the
// category tree, products and their SKUs. It knows nothing of gRPC, MongoDB
// or NATS.
package domain

import (
	"context"
	"fmt"
	"regexp"
	"siyu.dev/pkg/fault"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind and Error are the shop's one fault model (pkg/fault): errs.Status
// answers them as gRPC statuses with ErrorInfo (the field or SKU in its
// metadata), and consumers park a message on a fault (natsx.ByRule).
type (
	Kind  = fault.Kind
	Error = fault.Fault
)

// The kinds by their product-domain names.
const (
	KindInvalid            = fault.Invalid
	KindNotFound           = fault.NotFound
	KindExists             = fault.Conflict
	KindFailedPrecondition = fault.Precondition
	// KindAborted is a write that lost a race (a stale version); retry after reading again.
	KindAborted = fault.Aborted
)

func invalid(reason, field, format string, a ...any) *Error {
	return fault.New(KindInvalid, fault.Reason(reason), fmt.Sprintf(format, a...), "field", field)
}

// Errors that are not about one field.
var (
	ErrIDRequired        = fault.New(KindInvalid, "ID_REQUIRED", "an id is required")
	ErrBrandRequired     = fault.New(KindInvalid, "BRAND_REQUIRED", "brand is required", "field", "brand")
	ErrCategoryRequired  = fault.New(KindInvalid, "CATEGORY_REQUIRED", "category is required", "field", "category")
	ErrProductRequired   = fault.New(KindInvalid, "PRODUCT_REQUIRED", "product is required", "field", "product")
	ErrUpdateMaskInvalid = fault.New(KindInvalid, "UPDATE_MASK_INVALID", "the update mask names a field that cannot change", "field", "update_mask")
	ErrTokenMissing      = fault.New(fault.Unauthenticated, "TOKEN_MISSING", "a member token is required")
	ErrRoleRequired      = fault.New(fault.Permission, "ROLE_REQUIRED", "this needs another operator role")

	ErrProductNotFound  = fault.New(KindNotFound, "PRODUCT_NOT_FOUND", "no such product on sale")
	ErrProductExists    = fault.New(KindExists, "PRODUCT_EXISTS", "a product with this id exists")
	ErrCategoryExists   = fault.New(KindExists, "CATEGORY_EXISTS", "a category with this id exists")
	ErrCategoryNotFound = fault.New(KindFailedPrecondition, "CATEGORY_NOT_FOUND", "the category does not exist")
	ErrCategoryTooDeep  = fault.New(KindFailedPrecondition, "CATEGORY_TOO_DEEP", "categories nest at most 3 levels")

	ErrKeywordInvalid         = fault.New(KindInvalid, "KEYWORD_INVALID", "a keyword of at most 100 bytes is required", "field", "keyword")
	ErrTooManyBlockedKeywords = fault.New(KindFailedPrecondition, "TOO_MANY_BLOCKED_KEYWORDS", "the block list holds at most 1000 keywords")
)

// SkuCodeTaken is returned when another product already uses a SKU code.
func SkuCodeTaken(code string) *Error {
	return fault.New(KindExists, "SKU_CODE_TAKEN", fmt.Sprintf("SKU code %q is used by another product", code), "field", "skus.code")
}

// Status is where a product is in its life.
type Status int

const (
	StatusDraft Status = iota + 1
	StatusOnSale
	StatusOffShelf
)

// MaxCategoryLevel is the depth of the category tree.
const MaxCategoryLevel = 3

// Category is a node of the tree.
type Category struct {
	ID       string
	ParentID string
	Name     string
	Sort     int32
	IconURL  string
	Level    int32
}

// Sku is one sellable variant.
type Sku struct {
	ID           string
	Code         string
	Specs        map[string]string
	PriceFen     int64
	ListPriceFen int64
	Stock        int64
}

// Product is an SPU with its SKUs.
type Product struct {
	ID         string
	Title      string
	Subtitle   string
	CategoryID string
	ImageURLs  []string
	Skus       []Sku
	Status     Status
	Tags       []string
	SortWeight int32
	CreatedAt  time.Time
	UpdatedAt  time.Time
	BrandID    string
	// DescriptionHTML is sanitised before it is stored.
	DescriptionHTML string
	// PurchaseLimit is the units one member may buy; 0 means no limit.
	PurchaseLimit int32
	// SpecAttrs are the spec axes and their options, in display order.
	SpecAttrs []SpecAttr
	// Version grows by one with every stored change.
	Version int64
	// Sales and RecentSales (units in the HotWindow) come from the read
	// model's counters; they are not stored with the product.
	Sales, RecentSales int64
	// RatingX100 and ReviewCount summarise visible reviews (read model only).
	RatingX100  int32
	ReviewCount int64
}

// PriceRange is the lowest price and list price over the SKUs.
func (p Product) PriceRange() (price, list int64) {
	for i, s := range p.Skus {
		if i == 0 || s.PriceFen < price {
			price = s.PriceFen
		}
		if s.ListPriceFen > 0 && (list == 0 || s.ListPriceFen < list) {
			list = s.ListPriceFen
		}
	}
	return price, list
}

var (
	idRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	skuCodeRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	tagSet    = map[string]bool{"new": true, "hot": true, "recommended": true}
)

// ValidateID checks a client-chosen id.
func ValidateID(field, id string) error {
	if !idRe.MatchString(id) {
		return invalid("ID_INVALID", field, "%s must be 2-63 lowercase letters, digits or '-'", field)
	}
	return nil
}

// ValidateCategory checks a category against its parent (nil for a top-level one).
func ValidateCategory(c Category, parent *Category) (Category, error) {
	c, err := validateCategoryFields(c)
	if err != nil {
		return c, err
	}
	c.Level = 1
	if parent != nil {
		if parent.Level >= MaxCategoryLevel {
			return c, ErrCategoryTooDeep
		}
		c.Level = parent.Level + 1
	}
	return c, nil
}

// ValidateProduct checks every rule that needs nothing but the product:
// title, images, tags, prices in whole fen, SKU codes and spec combinations.
func ValidateProduct(p Product) error {
	title := strings.TrimSpace(p.Title)
	if title == "" || utf8.RuneCountInString(title) > 60 {
		return invalid("TITLE_INVALID", "product.title", "title must be 1-60 characters")
	}
	if utf8.RuneCountInString(p.Subtitle) > 120 {
		return invalid("SUBTITLE_INVALID", "product.subtitle", "subtitle must be at most 120 characters")
	}
	if p.CategoryID == "" {
		return invalid("CATEGORY_REQUIRED", "product.category_id", "category_id is required")
	}
	if len(p.ImageURLs) > 20 {
		return invalid("IMAGES_INVALID", "product.image_urls", "at most 20 images")
	}
	for _, u := range p.ImageURLs {
		if !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "data:image/") || strings.HasPrefix(u, "/")) || len(u) > 16<<10 {
			return invalid("IMAGES_INVALID", "product.image_urls", "image URLs must be http(s), site-relative or data:image URLs under 16 KiB")
		}
	}
	for _, t := range p.Tags {
		if !tagSet[t] {
			return invalid("TAG_INVALID", "product.tags", "tag %q is not one of new, hot, recommended", t)
		}
	}
	if p.Status < StatusDraft || p.Status > StatusOffShelf {
		return invalid("STATUS_INVALID", "product.status", "status must be draft, on sale or off shelf")
	}
	if p.SortWeight < 0 || p.SortWeight > 1_000_000 {
		return invalid("SORT_WEIGHT_INVALID", "product.sort_weight", "sort weight must be 0-1000000")
	}
	if p.PurchaseLimit < 0 || p.PurchaseLimit > 10_000 {
		return invalid("PURCHASE_LIMIT_INVALID", "product.purchase_limit", "purchase limit must be 0 (none) to 10000")
	}
	if len(p.DescriptionHTML) > MaxDescriptionBytes {
		return invalid("DESCRIPTION_INVALID", "product.description_html", "description must be at most %d bytes", MaxDescriptionBytes)
	}
	if err := validateSkus(p.Skus); err != nil {
		return err
	}
	return validateSpecAttrs(p.SpecAttrs, p.Skus)
}

func validateSkus(skus []Sku) error {
	if len(skus) == 0 {
		return invalid("SKU_REQUIRED", "product.skus", "a product needs at least one SKU")
	}
	if len(skus) > 200 {
		return invalid("SKU_INVALID", "product.skus", "at most 200 SKUs")
	}
	var axes []string
	codes := map[string]bool{}
	combos := map[string]bool{}
	for i, s := range skus {
		field := fmt.Sprintf("product.skus[%d]", i)
		if !skuCodeRe.MatchString(s.Code) {
			return invalid("SKU_CODE_INVALID", field+".code", "SKU code must be 1-64 letters, digits, '.', '_' or '-'")
		}
		if codes[s.Code] {
			return invalid("SKU_CODE_DUPLICATE", field+".code", "SKU code %q appears twice", s.Code)
		}
		codes[s.Code] = true
		if s.PriceFen <= 0 {
			return invalid("PRICE_INVALID", field+".price_fen", "price_fen must be a positive number of fen")
		}
		if s.ListPriceFen != 0 && s.ListPriceFen < s.PriceFen {
			return invalid("LIST_PRICE_INVALID", field+".list_price_fen", "list price must be 0 or at least the price")
		}
		if s.Stock < 0 {
			return invalid("STOCK_INVALID", field+".stock", "stock must not be negative")
		}
		keys := specKeys(s.Specs)
		if i == 0 {
			axes = keys
		} else if strings.Join(keys, "\x00") != strings.Join(axes, "\x00") {
			return invalid("SPECS_INCONSISTENT", field+".specs", "every SKU must have the same spec attributes (%s)", strings.Join(axes, ", "))
		}
		combo := specCombo(s.Specs, keys)
		if combos[combo] {
			return invalid("SPECS_DUPLICATE", field+".specs", "two SKUs have the same spec values")
		}
		combos[combo] = true
	}
	if len(skus) > 1 && len(axes) == 0 {
		return invalid("SPECS_DUPLICATE", "product.skus", "several SKUs need spec attributes to tell them apart")
	}
	return nil
}

func specKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func specCombo(m map[string]string, keys []string) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + m[k] + "\x00")
	}
	return b.String()
}

// Repository stores the catalogue.
type Repository interface {
	CreateCategory(ctx context.Context, c Category) error // ErrCategoryExists
	Categories(ctx context.Context) ([]Category, error)
	// ReserveSkuCodes claims codes for productID; SkuCodeTaken when another product holds one.
	ReserveSkuCodes(ctx context.Context, productID string, codes []string) error
	CreateProduct(ctx context.Context, p Product, ev Created) error // ErrProductExists
	Products(ctx context.Context) ([]Product, error)
	CatalogRepository
}

// Created is the event of a new product.
type Created struct {
	EventID   string
	ProductID string
	Title     string
	Category  string
	At        time.Time
	// Product is the product as created.
	Product Product
}
