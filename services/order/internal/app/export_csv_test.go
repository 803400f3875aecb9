package app_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"siyu.dev/services/order/internal/app"
	"siyu.dev/services/order/internal/domain"
	"siyu.dev/services/order/internal/memstore"
)

// TestExportCSV: one row per line with money in yuan and Shanghai times, a
// byte-order mark for spreadsheets, formula-looking cells defused, and a
// file that says when it holds only the newest orders.
func TestExportCSV(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	at := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	for i := range 3 {
		o := domain.Order{ID: fmt.Sprint("o", i), MemberID: "m1", Status: domain.StatusPaid, CreatedAt: at.Add(time.Duration(i) * time.Minute),
			TotalFen: 12345, Address: domain.Address{Name: "张三", Phone: "13800138000"},
			Lines: []domain.OrderLine{{LineID: "l1", PricedLine: domain.PricedLine{PricingLine: domain.PricingLine{SKUID: "s1", ProductID: "p1",
				Title: "=HYPERLINK(\"http://x\")", Quantity: 2, UnitPriceFen: 6000}, PayableFen: 12005}}}}
		if err := store.Insert(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	orders := app.NewOrders(store, nil, nil, nil, domain.DefaultTiming, nil)
	file, err := app.NewExport(orders, 2).CSV(ctx, domain.OrderFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(file.Data), "\ufeff") || file.Orders != 2 || !file.Truncated {
		t.Fatalf("file: %d orders, truncated %v", file.Orders, file.Truncated)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(file.Data), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows: %v", len(rows), err)
	}
	row := map[string]string{}
	for i, h := range rows[0] {
		row[h] = rows[1][i]
	}
	if row["订单号"] != "o2" || row["下单时间"] != "2026-12-03 10:02:00" || row["实付(元)"] != "120.05" || row["订单实付(元)"] != "123.45" {
		t.Fatalf("newest first, yuan and Shanghai time: %v", row)
	}
	if row["商品"] != `'=HYPERLINK("http://x")` {
		t.Fatalf("a formula must not run in a spreadsheet: %q", row["商品"])
	}
}
