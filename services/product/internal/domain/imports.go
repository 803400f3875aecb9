package domain

import (
	"fmt"

	"siyu.dev/pkg/fault"
)

// MaxImportProducts bounds one import: products and refused rows together.
const MaxImportProducts = 1000

// ImportItem is one product read from an import file, with the file's row
// of the product and of each SKU, so an error about skus[i] names the row
// the operator has to fix.
type ImportItem struct {
	Row     int
	SkuRows []int
	// ID is the product id the file gives; empty lets the service choose.
	ID      string
	Product Product
}

// ImportRowError is why one row of an import file was not imported.
type ImportRowError struct {
	Row       int
	ProductID string
	Field     string
	Reason    string
	Message   string
}

// ImportFile is what a file holds: the products that parsed and the rows
// that did not.
type ImportFile struct {
	Items  []ImportItem
	Errors []ImportRowError
}

// CheckImportSize refuses a file with more than MaxImportProducts products
// and refused rows, before anything of it is written.
func CheckImportSize(f ImportFile) error {
	if len(f.Items)+len(f.Errors) > MaxImportProducts {
		return fault.New(KindInvalid, "IMPORT_TOO_LARGE", fmt.Sprintf("at most %d products per import", MaxImportProducts), "field", "content")
	}
	return nil
}
