package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"siyu.dev/services/order/internal/domain"
)

// Export writes orders out for operators' spreadsheets.
type Export struct {
	orders *Orders
	// Limit bounds one file (default 10,000 orders).
	limit int
}

// NewExport builds the export over the order listing.
func NewExport(orders *Orders, limit int) *Export {
	if limit <= 0 {
		limit = 10_000
	}
	return &Export{orders: orders, limit: limit}
}

// File is an exported CSV file.
type File struct {
	Data      []byte
	Orders    int
	Truncated bool
}

var exportHeader = []string{"订单号", "下单时间", "状态", "会员ID", "收货人", "电话", "省", "市", "区", "地址",
	"商品ID", "SKU", "商品", "规格", "数量", "单价(元)", "实付(元)", "已退数量", "订单运费(元)", "订单实付(元)", "积分抵扣", "支付时间", "物流公司", "运单号", "已退款(元)"}

// exportPage is how many orders one listing call reads.
const exportPage = 500

// CSV writes the orders f selects, newest first, one row per line, times in
// Asia/Shanghai, money in yuan with two decimals. Cells that a spreadsheet
// would run as a formula are quoted with a leading apostrophe.
func (e *Export) CSV(ctx context.Context, f domain.OrderFilter) (File, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // spreadsheet programs read UTF-8 only with a byte-order mark
	w := csv.NewWriter(&buf)
	_ = w.Write(exportHeader)
	file := File{}
	after := ""
	for file.Orders < e.limit {
		page, err := e.orders.List(ctx, f, after, min(exportPage, e.limit-file.Orders)+1)
		if err != nil {
			return File{}, err
		}
		more := len(page) > min(exportPage, e.limit-file.Orders)
		if more {
			page = page[:len(page)-1]
		}
		for _, o := range page {
			for _, row := range exportRows(o) {
				_ = w.Write(row)
			}
			file.Orders++
			after = o.ID
		}
		if !more {
			break
		}
		if file.Orders >= e.limit {
			file.Truncated = true
		}
	}
	w.Flush()
	file.Data = buf.Bytes()
	return file, w.Error()
}

func exportRows(o domain.Order) [][]string {
	rows := make([][]string, 0, len(o.Lines))
	for _, l := range o.Lines {
		a := o.Address
		rows = append(rows, safe([]string{o.ID, shanghai(o.CreatedAt), string(o.Status), o.MemberID, a.Name, a.Phone, a.Province, a.City, a.District, a.Detail,
			l.ProductID, l.SKUID, l.Title, l.SpecText, strconv.FormatInt(l.Quantity, 10), yuan(l.UnitPriceFen), yuan(l.PayableFen),
			strconv.FormatInt(l.RefundedQty, 10), yuan(o.ShippingFen), yuan(o.TotalFen), strconv.FormatInt(o.PointsUsed, 10),
			shanghai(o.PaidAt), o.Carrier, o.TrackingNo, yuan(o.RefundFen)}))
	}
	return rows
}

var cst = time.FixedZone("CST", 8*3600)

func shanghai(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst).Format("2006-01-02 15:04:05")
}

func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return sign + strconv.FormatInt(fen/100, 10) + "." + strconv.FormatInt(fen%100/10, 10) + strconv.FormatInt(fen%10, 10)
}

// safe defuses cells a spreadsheet would evaluate (CSV injection).
func safe(row []string) []string {
	for i, c := range row {
		if c != "" && strings.ContainsAny(c[:1], "=+-@\t\r") {
			row[i] = "'" + c
		}
	}
	return row
}
