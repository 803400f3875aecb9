package readmodel

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"siyu.dev/services/product/internal/domain"
)

func onSale(id, title string, version int64) domain.Product {
	return domain.Product{ID: id, Title: title, CategoryID: "dress", Status: domain.StatusOnSale, Version: version,
		Skus: []domain.Sku{{ID: id + "-A", Code: id + "-A", PriceFen: 100, Stock: 5}}}
}

func TestPutProductKeepsTheNewestVersion(t *testing.T) {
	m := New(nil)
	m.Load([]domain.Category{{ID: "dress", Name: "连衣裙", Level: 1}}, nil)
	if !m.PutProduct(onSale("p-1", "碎花连衣裙", 2)) {
		t.Fatal("first put refused")
	}
	// An event from another instance arriving late carries an older version.
	if m.PutProduct(onSale("p-1", "旧标题", 1)) || m.PutProduct(onSale("p-1", "同版本", 2)) {
		t.Error("an older or equal version replaced the newer one")
	}
	if p, _ := m.Product("p-1"); p.Title != "碎花连衣裙" {
		t.Errorf("title %q", p.Title)
	}
	off := onSale("p-1", "碎花连衣裙", 3)
	off.Status = domain.StatusOffShelf
	m.PutProduct(off)
	if items, total := m.List("", 0, 10); total != 0 || len(items) != 0 {
		t.Errorf("an off-shelf product is listed: %v", items)
	}
	if _, total, _ := m.Search(domain.SearchQuery{Query: "碎花"}, 0, 10); total != 0 {
		t.Error("an off-shelf product is still in the index")
	}
	if !m.HasSku("p-1-A") {
		t.Error("an off-shelf product's SKU is unknown (reservations of it must still find it)")
	}
}

func TestReadsOverlayStockSalesAndRatings(t *testing.T) {
	day := time.Date(2026, 5, 1, 4, 0, 0, 0, time.UTC)
	m := New(func() time.Time { return day })
	m.Load([]domain.Category{{ID: "dress", Name: "连衣裙", Level: 1}}, []domain.Product{onSale("p-1", "碎花连衣裙", 1)})
	m.SetStock(domain.StockLevel{SkuID: "p-1-A", Available: 2})
	m.SetSales([]domain.SalesBucket{{ProductID: "p-1", Day: domain.SalesDay(day), Units: 3}})
	m.AddSale("p-1", domain.SalesDay(day), -1)
	m.SetRating(domain.RatingSummary{ProductID: "p-1", Count: 2, Stars: [5]int64{0, 0, 0, 1, 1}})
	p, _ := m.Product("p-1")
	if p.Skus[0].Stock != 2 || p.Sales != 2 || p.RecentSales != 2 || p.RatingX100 != 450 || p.ReviewCount != 2 {
		t.Errorf("read: stock %d sales %d/%d rating %d/%d", p.Skus[0].Stock, p.Sales, p.RecentSales, p.RatingX100, p.ReviewCount)
	}
	// The overlay is on a copy: the stored SKUs keep the created stock.
	m.SetStock(domain.StockLevel{SkuID: "p-1-A", Available: 0})
	if p.Skus[0].Stock != 2 {
		t.Error("a later stock change reached an earlier read")
	}
	if total, recent := m.Sales("p-1"); total != 2 || recent != 2 {
		t.Errorf("sales %d/%d", total, recent)
	}
	m.SetRatings(nil)
	if p, _ := m.Product("p-1"); p.ReviewCount != 0 {
		t.Errorf("ratings not replaced: %d", p.ReviewCount)
	}
}

func TestWordsAndPhrases(t *testing.T) {
	m := New(nil)
	m.Load([]domain.Category{{ID: "dress", Name: "连衣裙", Level: 1}},
		[]domain.Product{onSale("p-1", "碎花连衣裙 Summer", 1), onSale("p-2", "长款连衣裙", 1)})
	for kw, want := range map[string]bool{"连衣裙": true, "碎花": true, "summer": true, "连衣裙 碎花": true, "咖啡": false, "连衣裙 咖啡": false} {
		if got := m.KnownWords(kw); got != want {
			t.Errorf("KnownWords(%q) = %v", kw, got)
		}
	}
	var got []string
	for _, p := range m.PhrasesAfter("连") {
		got = append(got, fmt.Sprintf("%s=%d", p.Text, p.Products))
	}
	sort.Strings(got)
	if fmt.Sprint(got) != "[连衣裙=2]" {
		t.Errorf("phrases after 连: %v", got)
	}
	if list := m.PhrasesAfter("连衣裙"); len(list) != 0 {
		t.Errorf("the prefix itself is no completion: %v", list)
	}
}
