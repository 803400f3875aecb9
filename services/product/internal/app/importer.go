package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// ImportReport is what an import did.
type ImportReport struct {
	Created  []string
	Existing []string
	Errors   []domain.ImportRowError
}

// Importer creates products from an operator's file (read by
// internal/importfile) through the same rules as one CreateProduct.
type Importer struct {
	products *Products
	model    *readmodel.Model
}

// NewImporter builds the import over the operators' product writes.
func NewImporter(products *Products, model *readmodel.Model) *Importer {
	return &Importer{products: products, model: model}
}

// ImportProducts creates the valid products of a file and reports the
// invalid rows. A product whose id, or one of whose SKU codes, exists
// already is skipped as existing, so re-running a file creates nothing
// twice.
func (s *Importer) ImportProducts(ctx context.Context, f domain.ImportFile) (ImportReport, error) {
	if err := domain.CheckImportSize(f); err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Errors: f.Errors}
	for _, it := range f.Items {
		if existing, ok := s.existing(it); ok {
			rep.Existing = append(rep.Existing, existing)
			continue
		}
		got, err := s.products.CreateProduct(ctx, it.Product, it.ID)
		var de *domain.Error
		switch {
		case err == nil:
			rep.Created = append(rep.Created, got.ID)
		case errors.Is(err, domain.ErrProductExists):
			rep.Existing = append(rep.Existing, it.ID)
		case errors.As(err, &de):
			row, field := it.Row, strings.TrimPrefix(de.Meta["field"], "product.")
			var k int
			if n, _ := fmt.Sscanf(field, "skus[%d]", &k); n == 1 && k >= 0 && k < len(it.SkuRows) {
				row = it.SkuRows[k]
			}
			rep.Errors = append(rep.Errors, domain.ImportRowError{Row: row, ProductID: it.ID, Field: field, Reason: string(de.Reason), Message: de.Msg})
		default:
			return rep, err
		}
	}
	sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Row < rep.Errors[j].Row })
	return rep, nil
}

// existing finds the product an import item was created as before: the
// same id, or (without an id) the product holding its first SKU code.
func (s *Importer) existing(it domain.ImportItem) (string, bool) {
	if it.ID != "" {
		if _, ok := s.model.Product(it.ID); ok {
			return it.ID, true
		}
		return "", false
	}
	for _, k := range it.Product.Skus {
		if id, ok := s.model.ProductByCode(k.Code); ok {
			return id, true
		}
	}
	return "", false
}
