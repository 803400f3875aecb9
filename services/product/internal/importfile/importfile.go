// Package importfile reads the operators' product import files (a JSON
// array of products, or CSV with one SKU per row) into domain values. It
// only parses: whether a product is valid, new or already there is the
// import use case's question.
package importfile

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"siyu.dev/pkg/fault"
	"siyu.dev/services/product/internal/domain"
)

// The formats Parse reads.
const (
	JSON = "json"
	CSV  = "csv"
)

// Parse reads content in format. A file that cannot be read at all is an
// INVALID_ARGUMENT fault; a row that cannot be read is a row error in the
// result, and the other rows go on.
func Parse(format, content string) (domain.ImportFile, error) {
	switch format {
	case JSON:
		return parseJSON(content)
	case CSV:
		return parseCSV(content)
	}
	return domain.ImportFile{}, fault.New(domain.KindInvalid, "IMPORT_FORMAT_INVALID", "format must be JSON or CSV", "field", "format")
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

// statusNames are the statuses a file may give; none is a draft.
var statusNames = map[string]domain.Status{"": domain.StatusDraft, "draft": domain.StatusDraft, "on_sale": domain.StatusOnSale, "off_shelf": domain.StatusOffShelf}

func fileInvalid(msg string) error {
	return fault.New(domain.KindInvalid, "IMPORT_FILE_INVALID", msg, "field", "content")
}

// parseJSON reads an array of products; an element that does not decode is
// a row error, the others go on.
func parseJSON(content string) (domain.ImportFile, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(content), &raw); err != nil {
		return domain.ImportFile{}, fileInvalid("content must be a JSON array of products: " + err.Error())
	}
	var f domain.ImportFile
	for i, r := range raw {
		var jp jsonProduct
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&jp); err != nil {
			f.Errors = append(f.Errors, domain.ImportRowError{Row: i + 1, Reason: "ROW_INVALID", Message: err.Error()})
			continue
		}
		st, ok := statusNames[jp.Status]
		if !ok {
			f.Errors = append(f.Errors, domain.ImportRowError{Row: i + 1, ProductID: jp.ID, Field: "status", Reason: "STATUS_INVALID", Message: "status must be draft, on_sale or off_shelf"})
			continue
		}
		p := domain.Product{Title: jp.Title, Subtitle: jp.Subtitle, CategoryID: jp.CategoryID, BrandID: jp.BrandID, ImageURLs: jp.ImageURLs,
			DescriptionHTML: jp.DescriptionHTML, Status: st, Tags: jp.Tags, SortWeight: jp.SortWeight, PurchaseLimit: jp.PurchaseLimit}
		rows := make([]int, len(jp.Skus))
		for k, s := range jp.Skus {
			p.Skus = append(p.Skus, domain.Sku{Code: s.Code, Specs: s.Specs, PriceFen: s.PriceFen, ListPriceFen: s.ListPriceFen, Stock: s.Stock})
			rows[k] = i + 1
		}
		f.Items = append(f.Items, domain.ImportItem{Row: i + 1, SkuRows: rows, ID: jp.ID, Product: p})
	}
	return f, nil
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
func parseCSV(content string) (domain.ImportFile, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(content, "\ufeff")))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return domain.ImportFile{}, fileInvalid("content must be CSV with a header row")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{"product_id", "title", "category_id", "sku_code", "price_fen"} {
		if _, ok := col[c]; !ok {
			return domain.ImportFile{}, fileInvalid("the CSV header lacks column " + c)
		}
	}
	for h := range col {
		if !strings.Contains(","+strings.Join(csvColumns, ",")+",", ","+h+",") {
			return domain.ImportFile{}, fileInvalid("unknown CSV column " + h)
		}
	}
	var items []domain.ImportItem
	byID := map[string]int{}
	failed := map[string]bool{}
	var bad []domain.ImportRowError
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, domain.ImportRowError{Row: pe.Line, Reason: "ROW_INVALID", Message: pe.Err.Error()})
				continue
			}
			return domain.ImportFile{}, fileInvalid(err.Error())
		}
		cell := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		id := cell("product_id")
		rowErr := func(field, reason, msg string) {
			bad = append(bad, domain.ImportRowError{Row: line, ProductID: id, Field: field, Reason: reason, Message: msg})
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
			items[i].Product.Skus = append(items[i].Product.Skus, sku)
			items[i].SkuRows = append(items[i].SkuRows, line)
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
		items = append(items, domain.ImportItem{Row: line, SkuRows: []int{line}, ID: id, Product: p})
	}
	// A product with a bad row is not created from its other rows: half a
	// product would be worse than none, and the report names the row.
	kept := items[:0]
	for _, it := range items {
		if failed[it.ID] {
			bad = append(bad, domain.ImportRowError{Row: it.Row, ProductID: it.ID, Reason: "PRODUCT_INCOMPLETE", Message: "another row of this product is invalid"})
			continue
		}
		kept = append(kept, it)
	}
	return domain.ImportFile{Items: kept, Errors: bad}, nil
}
