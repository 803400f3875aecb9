package domain

import (
	"context"
	"fmt"
	"siyu.dev/pkg/fault"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
)

// MaxDescriptionBytes bounds a product's rich description.
const MaxDescriptionBytes = 64 << 10

// Catalog errors.
var (
	ErrBrandExists   = fault.New(KindExists, "BRAND_EXISTS", "a brand with this id exists")
	ErrBrandNotFound = fault.New(KindNotFound, "BRAND_NOT_FOUND", "no such brand")
	// ErrBrandUnknown is a product naming a brand that does not exist.
	ErrBrandUnknown = fault.New(KindFailedPrecondition, "BRAND_NOT_FOUND", "the brand does not exist", "field", "product.brand_id")
	ErrBrandInUse   = fault.New(KindFailedPrecondition, "BRAND_IN_USE", "products still use this brand")
	// ErrCategoryMissing is an operation on a category id that does not exist.
	ErrCategoryMissing     = fault.New(KindNotFound, "CATEGORY_NOT_FOUND", "no such category")
	ErrCategoryHasChildren = fault.New(KindFailedPrecondition, "CATEGORY_HAS_CHILDREN", "delete or move the sub-categories first")
	ErrCategoryInUse       = fault.New(KindFailedPrecondition, "CATEGORY_IN_USE", "products are still filed under this category")
	ErrVersionMismatch     = fault.New(KindAborted, "PRODUCT_VERSION_MISMATCH", "the product changed since it was read; read it again", "field", "product.version")
	ErrVersionRequired     = fault.New(KindInvalid, "VERSION_REQUIRED", "version (as read) is required", "field", "product.version")
	ErrFieldMaskRequired   = fault.New(KindInvalid, "FIELD_MASK_REQUIRED", "update_mask names the fields to change", "field", "update_mask")
)

// identityPaths name the resource (and the version read) rather than a
// change; a REST PATCH derives its mask from the body, so they show up there.
func identityPaths(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if p != "id" && p != "version" {
			out = append(out, p)
		}
	}
	return out
}

func fieldMaskInvalid(path string) *Error {
	return invalid("FIELD_MASK_INVALID", "update_mask", "%q cannot be updated here", path)
}

func transitionInvalid(from Status, to string) *Error {
	return fault.New(KindFailedPrecondition, "STATUS_TRANSITION_INVALID", fmt.Sprintf("a %s product cannot be %s", from, to), "field", "product.status")
}

func (s Status) String() string {
	switch s {
	case StatusDraft:
		return "draft"
	case StatusOnSale:
		return "on sale"
	case StatusOffShelf:
		return "off-shelf"
	}
	return "unknown"
}

// SpecAttr is one spec axis and the values a SKU may take on it.
type SpecAttr struct {
	Name    string
	Options []string
}

// Brand is a product's maker or label.
type Brand struct {
	ID          string
	Name        string
	LogoURL     string
	Sort        int32
	Description string
}

// ValidateBrand checks a brand and returns it trimmed.
func ValidateBrand(b Brand) (Brand, error) {
	b.Name = strings.TrimSpace(b.Name)
	if n := utf8.RuneCountInString(b.Name); n == 0 || n > 30 {
		return b, invalid("BRAND_NAME_INVALID", "brand.name", "name must be 1-30 characters")
	}
	if b.LogoURL != "" && !imageURL(b.LogoURL) {
		return b, invalid("LOGO_INVALID", "brand.logo_url", "logo must be an http(s), site-relative or data:image URL under 16 KiB")
	}
	if utf8.RuneCountInString(b.Description) > 500 {
		return b, invalid("BRAND_DESCRIPTION_INVALID", "brand.description", "description must be at most 500 characters")
	}
	return b, nil
}

func imageURL(u string) bool {
	return (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "data:image/") || strings.HasPrefix(u, "/")) && len(u) <= 16<<10
}

// ApplyBrandMask copies the masked fields of patch onto cur; an empty mask
// means every field.
func ApplyBrandMask(cur, patch Brand, paths []string) (Brand, error) {
	if paths = identityPaths(paths); len(paths) == 0 {
		paths = []string{"name", "logo_url", "sort", "description"}
	}
	for _, p := range paths {
		switch p {
		case "name":
			cur.Name = patch.Name
		case "logo_url":
			cur.LogoURL = patch.LogoURL
		case "sort":
			cur.Sort = patch.Sort
		case "description":
			cur.Description = patch.Description
		default:
			return cur, fieldMaskInvalid(p)
		}
	}
	return ValidateBrand(cur)
}

// ApplyCategoryMask copies the masked fields of patch onto cur; the place in
// the tree (parent, level) never changes. An empty mask means every field.
func ApplyCategoryMask(cur, patch Category, paths []string) (Category, error) {
	if paths = identityPaths(paths); len(paths) == 0 {
		paths = []string{"name", "sort", "icon_url"}
	}
	for _, p := range paths {
		switch p {
		case "name":
			cur.Name = patch.Name
		case "sort":
			cur.Sort = patch.Sort
		case "icon_url":
			cur.IconURL = patch.IconURL
		default:
			return cur, fieldMaskInvalid(p)
		}
	}
	return validateCategoryFields(cur)
}

func validateCategoryFields(c Category) (Category, error) {
	c.Name = strings.TrimSpace(c.Name)
	if n := utf8.RuneCountInString(c.Name); n == 0 || n > 20 {
		return c, invalid("CATEGORY_NAME_INVALID", "category.name", "name must be 1-20 characters")
	}
	if c.IconURL != "" && !imageURL(c.IconURL) {
		return c, invalid("ICON_INVALID", "category.icon_url", "icon must be an http(s), site-relative or data:image URL under 16 KiB")
	}
	return c, nil
}

// CanDeleteCategory says whether a category with these children and
// products may go: only an empty leaf may.
func CanDeleteCategory(children, products int) error {
	if children > 0 {
		return ErrCategoryHasChildren
	}
	if products > 0 {
		return ErrCategoryInUse
	}
	return nil
}

// descriptionPolicy keeps the formatting a product page needs (paragraphs,
// lists, emphasis, headings, tables, images and links) and drops everything
// that can run code or restyle the page: scripts, styles, event handlers,
// iframes, forms and javascript: URLs.
var descriptionPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "strong", "b", "em", "i", "u", "s", "span", "div", "blockquote",
		"h1", "h2", "h3", "h4", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption")
	p.AllowStandardURLs()
	p.AllowAttrs("href").OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowImages()
	p.AllowDataURIImages()
	return p
}()

// SanitizeDescription returns the safe subset of a rich description.
func SanitizeDescription(html string) string {
	return strings.TrimSpace(descriptionPolicy.Sanitize(html))
}

// NormalizeProduct trims the title, sanitises the description and, when the
// spec attributes are not declared, derives them from the SKUs (axes in name
// order, options in first-seen order). Call it before ValidateProduct.
func NormalizeProduct(p Product) Product {
	p.Title = strings.TrimSpace(p.Title)
	p.DescriptionHTML = SanitizeDescription(p.DescriptionHTML)
	if len(p.SpecAttrs) == 0 && len(p.Skus) > 0 {
		for _, k := range specKeys(p.Skus[0].Specs) {
			a := SpecAttr{Name: k}
			for _, s := range p.Skus {
				if v, ok := s.Specs[k]; ok && !slices.Contains(a.Options, v) {
					a.Options = append(a.Options, v)
				}
			}
			p.SpecAttrs = append(p.SpecAttrs, a)
		}
	}
	return p
}

// validateSpecAttrs checks the declared axes and that every SKU has exactly
// those axes with values from their options. validateSkus already ruled out
// duplicate combinations and SKUs that disagree with each other.
func validateSpecAttrs(attrs []SpecAttr, skus []Sku) error {
	if len(attrs) == 0 {
		return nil // not declared: NormalizeProduct derives them from the SKUs
	}
	if len(attrs) > 5 {
		return invalid("SPEC_ATTRIBUTE_INVALID", "product.spec_attributes", "at most 5 spec attributes")
	}
	names := map[string]map[string]bool{}
	for i, a := range attrs {
		field := fmt.Sprintf("product.spec_attributes[%d]", i)
		if n := utf8.RuneCountInString(a.Name); n == 0 || n > 20 || strings.TrimSpace(a.Name) != a.Name {
			return invalid("SPEC_ATTRIBUTE_INVALID", field+".name", "spec attribute names must be 1-20 characters without outer spaces")
		}
		if names[a.Name] != nil {
			return invalid("SPEC_ATTRIBUTE_INVALID", field+".name", "spec attribute %q appears twice", a.Name)
		}
		if len(a.Options) == 0 || len(a.Options) > 100 {
			return invalid("SPEC_ATTRIBUTE_INVALID", field+".options", "spec attribute %q needs 1-100 options", a.Name)
		}
		opts := map[string]bool{}
		for _, o := range a.Options {
			if o == "" || utf8.RuneCountInString(o) > 30 || opts[o] {
				return invalid("SPEC_ATTRIBUTE_INVALID", field+".options", "options of %q must be distinct, 1-30 characters", a.Name)
			}
			opts[o] = true
		}
		names[a.Name] = opts
	}
	for i, s := range skus {
		field := fmt.Sprintf("product.skus[%d].specs", i)
		if len(s.Specs) != len(attrs) {
			return invalid("SPECS_INCONSISTENT", field, "every SKU must have exactly the product's spec attributes")
		}
		for k, v := range s.Specs {
			opts, ok := names[k]
			if !ok {
				return invalid("SPECS_INCONSISTENT", field, "spec attribute %q is not declared by the product", k)
			}
			if !opts[v] {
				return invalid("SPEC_VALUE_INVALID", field, "%q is not an option of %q", v, k)
			}
		}
	}
	return nil
}

// Publish puts a product on sale. Publishing one already on sale changes nothing.
func Publish(p Product) (Product, bool, error) {
	switch p.Status {
	case StatusOnSale:
		return p, false, nil
	case StatusDraft, StatusOffShelf:
		p.Status = StatusOnSale
		return p, true, nil
	}
	return p, false, transitionInvalid(p.Status, "published")
}

// Unpublish takes a product on sale off the shelf. A draft was never on
// sale, so it cannot be taken off; one already off the shelf stays so.
func Unpublish(p Product) (Product, bool, error) {
	switch p.Status {
	case StatusOffShelf:
		return p, false, nil
	case StatusOnSale:
		p.Status = StatusOffShelf
		return p, true, nil
	}
	return p, false, transitionInvalid(p.Status, "taken off the shelf")
}

// ApplyProductMask copies the masked fields of patch onto cur. With "skus"
// the whole SKU list is replaced; when the SKUs change and the spec
// attributes are not in the mask, they are derived again. Status goes
// through Publish and Unpublish, never through the mask.
func ApplyProductMask(cur, patch Product, paths []string) (Product, error) {
	if paths = identityPaths(paths); len(paths) == 0 {
		return cur, ErrFieldMaskRequired
	}
	next := cur
	for _, p := range paths {
		switch p {
		case "title":
			next.Title = patch.Title
		case "subtitle":
			next.Subtitle = patch.Subtitle
		case "category_id":
			next.CategoryID = patch.CategoryID
		case "brand_id":
			next.BrandID = patch.BrandID
		case "image_urls":
			next.ImageURLs = patch.ImageURLs
		case "description_html":
			next.DescriptionHTML = patch.DescriptionHTML
		case "tags":
			next.Tags = patch.Tags
		case "sort_weight":
			next.SortWeight = patch.SortWeight
		case "purchase_limit":
			next.PurchaseLimit = patch.PurchaseLimit
		case "spec_attributes":
			next.SpecAttrs = patch.SpecAttrs
		case "skus":
			next.Skus = patch.Skus
		default:
			return cur, fieldMaskInvalid(p)
		}
	}
	if slices.Contains(paths, "skus") && !slices.Contains(paths, "spec_attributes") {
		next.SpecAttrs = nil
	}
	next = NormalizeProduct(next)
	if err := ValidateProduct(next); err != nil {
		return cur, err
	}
	return next, nil
}

// EventKind says which product event a change publishes.
type EventKind int

const (
	EventUpdated EventKind = iota + 1
	EventPublished
)

// ProductEvent is a change of a stored product: the product after it.
type ProductEvent struct {
	EventID string
	Kind    EventKind
	Product Product
	Fields  []string
	At      time.Time
}

// CatalogRepository stores brands and the changes of categories and
// products after their creation.
type CatalogRepository interface {
	CreateBrand(ctx context.Context, b Brand) error // ErrBrandExists
	UpdateBrand(ctx context.Context, b Brand) error // ErrBrandNotFound
	DeleteBrand(ctx context.Context, id string) error
	Brands(ctx context.Context) ([]Brand, error)
	UpdateCategory(ctx context.Context, c Category) error // ErrCategoryMissing
	DeleteCategory(ctx context.Context, id string) error
	// Product reads one product as stored; ErrProductNotFound.
	Product(ctx context.Context, id string) (Product, error)
	// ReplaceProduct stores p (whose Version is one past prev) only if the
	// stored version is still prev, with ev in its outbox; ErrVersionMismatch otherwise.
	ReplaceProduct(ctx context.Context, p Product, prev int64, ev ProductEvent) error
}
