package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"siyu.dev/pkg/fault"
	"sort"
	"strconv"
	"strings"

	"siyu.dev/services/product/internal/domain"
)

// MaxImportProducts bounds one import.
const MaxImportProducts = 1000

// ImportRowError is why one row of an import was not imported.
type ImportRowError struct {
	Row       int
	ProductID string
	Field     string
	Reason    string
	Message   string
}

// ImportReport is what an import did.
type ImportReport struct {
	Created  []string
	Existing []string
	Errors   []ImportRowError
}

// importItem is one product parsed from a file, with the row each SKU came
// from so an error about skus[i] names the right row.
type importItem struct {
	row     int
	skuRows []int
	id      string
	product domain.Product
}

type jsonSku struct {
	Code         string            `json:"code"`
	Specs        map[string]string `json:"specs"`
	PriceFen     int64             `json:"price_fen"`
	ListPriceFen int64             `json:"list_price_fen"`
	Stock        int64             `json:"stock"`
}

type jsonProduct struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	Subtitle        string    `json:"subtitle"`
	CategoryID      string    `json:"category_id"`
	BrandID         string    `json:"brand_id"`
	ImageURLs       []string  `json:"image_urls"`
	DescriptionHTML string    `json:"description_html"`
	Status          string    `json:"status"`
	Tags            []string  `json:"tags"`
	SortWeight      int32     `json:"sort_weight"`
	PurchaseLimit   int32     `json:"purchase_limit"`
	Skus            []jsonSku `json:"skus"`
}

var statusNames = map[string]domain.Status{"": domain.StatusDraft, "draft": domain.StatusDraft, "on_sale": domain.StatusOnSale, "off_shelf": domain.StatusOffShelf}

func importInvalid(reason, msg string) error {
	return fault.New(domain.KindInvalid, fault.Reason(reason), msg, "field", "content")
}

// parseJSON reads an array of products; an element that does not decode is
// a row error, the others go on.
func parseJSON(content string) ([]importItem, []ImportRowError, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(content), &raw); err != nil {
		return nil, nil, importInvalid("IMPORT_FILE_INVALID", "content must be a JSON array of products: "+err.Error())
	}
	var items []importItem
	var bad []ImportRowError
	for i, r := range raw {
		var jp jsonProduct
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&jp); err != nil {
			bad = append(bad, ImportRowError{Row: i + 1, Reason: "ROW_INVALID", Message: err.Error()})
			continue
		}
		st, ok := statusNames[jp.Status]
		if !ok {
			bad = append(bad, ImportRowError{Row: i + 1, ProductID: jp.ID, Field: "status", Reason: "STATUS_INVALID", Message: "status must be draft, on_sale or off_shelf"})
			continue
		}
		p := domain.Product{Title: jp.Title, Subtitle: jp.Subtitle, CategoryID: jp.CategoryID, BrandID: jp.BrandID, ImageURLs: jp.ImageURLs,
			DescriptionHTML: jp.DescriptionHTML, Status: st, Tags: jp.Tags, SortWeight: jp.SortWeight, PurchaseLimit: jp.PurchaseLimit}
		rows := make([]int, len(jp.Skus))
		for k, s := range jp.Skus {
			p.Skus = append(p.Skus, domain.Sku{Code: s.Code, Specs: s.Specs, PriceFen: s.PriceFen, ListPriceFen: s.ListPriceFen, Stock: s.Stock})
			rows[k] = i + 1
		}
		items = append(items, importItem{row: i + 1, skuRows: rows, id: jp.ID, product: p})
	}
	return items, bad, nil
}

var csvColumns = []string{"product_id", "title", "subtitle", "category_id", "brand_id", "status", "tags", "sort_weight", "purchase_limit",
	"image_urls", "description_html", "sku_code", "specs", "price_fen", "list_price_fen", "stock"}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ";") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseCSV reads one SKU per row and groups rows by product_id; a row
// whose own cells do not parse is a row error and leaves its product out.
func parseCSV(content string) ([]importItem, []ImportRowError, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(content, "\ufeff")))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, importInvalid("IMPORT_FILE_INVALID", "content must be CSV with a header row")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{"product_id", "title", "category_id", "sku_code", "price_fen"} {
		if _, ok := col[c]; !ok {
			return nil, nil, importInvalid("IMPORT_FILE_INVALID", "the CSV header lacks column "+c)
		}
	}
	for h := range col {
		if !strings.Contains(","+strings.Join(csvColumns, ",")+",", ","+h+",") {
			return nil, nil, importInvalid("IMPORT_FILE_INVALID", "unknown CSV column "+h)
		}
	}
	var items []importItem
	byID := map[string]int{}
	failed := map[string]bool{}
	var bad []ImportRowError
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, ImportRowError{Row: pe.Line, Reason: "ROW_INVALID", Message: pe.Err.Error()})
				continue
			}
			return nil, nil, importInvalid("IMPORT_FILE_INVALID", err.Error())
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		id := cell("product_id")
		rowErr := func(field, reason, msg string) {
			bad = append(bad, ImportRowError{Row: line, ProductID: id, Field: field, Reason: reason, Message: msg})
			failed[id] = true
		}
		if id == "" {
			rowErr("product_id", "ID_REQUIRED", "every CSV row names its product_id")
			continue
		}
		num := func(name string) (int64, bool) {
			v := cell(name)
			if v == "" {
				return 0, true
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				rowErr(name, "NUMBER_INVALID", name+" must be a whole number")
				return 0, false
			}
			return n, true
		}
		price, ok1 := num("price_fen")
		list, ok2 := num("list_price_fen")
		stock, ok3 := num("stock")
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		specs := map[string]string{}
		specsOK := true
		for _, kv := range splitList(cell("specs")) {
			k, v, found := strings.Cut(kv, ":")
			if !found || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
				rowErr("specs", "SPECS_INVALID", `specs must look like "颜色:红;尺码:M"`)
				specsOK = false
				break
			}
			specs[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if !specsOK {
			continue
		}
		sku := domain.Sku{Code: cell("sku_code"), Specs: specs, PriceFen: price, ListPriceFen: list, Stock: stock}
		if i, ok := byID[id]; ok {
			items[i].product.Skus = append(items[i].product.Skus, sku)
			items[i].skuRows = append(items[i].skuRows, line)
			continue
		}
		st, ok := statusNames[cell("status")]
		if !ok {
			rowErr("status", "STATUS_INVALID", "status must be draft, on_sale or off_shelf")
			continue
		}
		weight, ok4 := num("sort_weight")
		limit, ok5 := num("purchase_limit")
		if !ok4 || !ok5 {
			continue
		}
		p := domain.Product{Title: cell("title"), Subtitle: cell("subtitle"), CategoryID: cell("category_id"), BrandID: cell("brand_id"), Status: st,
			Tags: splitList(cell("tags")), SortWeight: int32(weight), PurchaseLimit: int32(limit), ImageURLs: splitList(cell("image_urls")),
			DescriptionHTML: cell("description_html"), Skus: []domain.Sku{sku}}
		byID[id] = len(items)
		items = append(items, importItem{row: line, skuRows: []int{line}, id: id, product: p})
	}
	// A product with a bad row is not created from its other rows: half a
	// product would be worse than none, and the report names the row.
	kept := items[:0]
	for _, it := range items {
		if failed[it.id] {
			bad = append(bad, ImportRowError{Row: it.row, ProductID: it.id, Reason: "PRODUCT_INCOMPLETE", Message: "another row of this product is invalid"})
			continue
		}
		kept = append(kept, it)
	}
	return kept, bad, nil
}

// ImportProducts creates the valid products of a JSON or CSV file and
// reports the invalid rows. A product whose id, or one of whose SKU codes,
// exists already is skipped as existing, so re-running a file creates
// nothing twice.
func (s *Service) ImportProducts(ctx context.Context, format, content string) (ImportReport, error) {
	var items []importItem
	var bad []ImportRowError
	var err error
	switch format {
	case "json":
		items, bad, err = parseJSON(content)
	case "csv":
		items, bad, err = parseCSV(content)
	default:
		return ImportReport{}, fault.New(domain.KindInvalid, "IMPORT_FORMAT_INVALID", "format must be JSON or CSV", "field", "format")
	}
	if err != nil {
		return ImportReport{}, err
	}
	if len(items)+len(bad) > MaxImportProducts {
		return ImportReport{}, importInvalid("IMPORT_TOO_LARGE", fmt.Sprintf("at most %d products per import", MaxImportProducts))
	}
	rep := ImportReport{Errors: bad}
	for _, it := range items {
		if existing, ok := s.existingImport(it); ok {
			rep.Existing = append(rep.Existing, existing)
			continue
		}
		got, err := s.CreateProduct(ctx, it.product, it.id)
		var de *domain.Error
		switch {
		case err == nil:
			rep.Created = append(rep.Created, got.ID)
		case errors.Is(err, domain.ErrProductExists):
			rep.Existing = append(rep.Existing, it.id)
		case errors.As(err, &de):
			row, field := it.row, strings.TrimPrefix(de.Meta["field"], "product.")
			var k int
			if n, _ := fmt.Sscanf(field, "skus[%d]", &k); n == 1 && k >= 0 && k < len(it.skuRows) {
				row = it.skuRows[k]
			}
			rep.Errors = append(rep.Errors, ImportRowError{Row: row, ProductID: it.id, Field: field, Reason: string(de.Reason), Message: de.Msg})
		default:
			return rep, err
		}
	}
	sort.SliceStable(rep.Errors, func(i, j int) bool { return rep.Errors[i].Row < rep.Errors[j].Row })
	return rep, nil
}

// existingImport finds the product an import item was created as before:
// the same id, or (without an id) the product holding its first SKU code.
func (s *Service) existingImport(it importItem) (string, bool) {
	if it.id != "" {
		if _, ok := s.catalog.product(it.id); ok {
			return it.id, true
		}
		return "", false
	}
	for _, k := range it.product.Skus {
		if id, ok := s.catalog.productByCode(k.Code); ok {
			return id, true
		}
	}
	return "", false
}
