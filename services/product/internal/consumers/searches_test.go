package consumers

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/mongostore"
	"siyu.dev/services/product/internal/readmodel"
)

// TestHotKeywordsHandler feeds search events, some of them redelivered, to
// one instance; the counts are exact, and a second instance over the same
// database (or this one restarted) loads the same hot list.
func TestHotKeywordsHandler(t *testing.T) {
	ctx := context.Background()
	db := testkit.DB(t)
	// 2026-11-23 20:00 in Shanghai.
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)
	// An instance is the read model with the use cases this test drives.
	type instance struct {
		products *app.Products
		keywords *app.Keywords
		loader   *app.Loader
	}
	newInstance := func() instance {
		store := mongostore.New(db)
		model := readmodel.New(clk.Now)
		in := instance{products: app.NewProducts(model, store, nil, clk), keywords: app.NewKeywords(model, store, nil, clk)}
		in.loader = app.NewLoader(model, store, nil, nil, in.keywords, nil)
		if err := in.loader.Load(ctx); err != nil {
			t.Fatal(err)
		}
		return in
	}
	// The catalogue's words are what can become hot.
	seed := newInstance()
	if _, err := seed.products.CreateCategory(ctx, domain.Category{Name: "女装"}, "women"); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.products.CreateProduct(ctx, domain.Product{Title: "碎花连衣裙 口红 面霜", CategoryID: "women", Status: domain.StatusOnSale, Skus: []domain.Sku{{Code: "A", PriceFen: 100, Stock: 5}}}, "p-words"); err != nil {
		t.Fatal(err)
	}
	a := newInstance()
	h := HotKeywordsHandler(a.keywords)
	searched := func(id, query string, results int32, at time.Time) natsx.Message {
		b, _ := proto.Marshal(&productv1.ProductSearched{EventId: id, OccurredAt: timestamppb.New(at), Query: query, ResultCount: results})
		return natsx.Message{Subject: "siyu.product.searched", ID: id, Data: b}
	}
	cases := []struct {
		name      string
		msg       natsx.Message
		permanent bool
	}{
		{"garbage", natsx.Message{Subject: "siyu.product.searched", Data: []byte{0xff, 0x01}}, true},
		{"no event id", searched("", "连衣裙", 3, now), true},
		{"search", searched("s1", "连衣裙", 3, now), false},
		{"redelivered", searched("s1", "连衣裙", 3, now), false},
		{"another", searched("s2", "连衣裙", 3, now.Add(-time.Hour)), false},
		{"redelivered later", searched("s2", "连衣裙", 3, now.Add(-time.Hour)), false},
		{"un-normalised query from an old producer", searched("s3", "  碎花 ", 1, now), false},
		{"found nothing: not hot", searched("s4", "不存在", 0, now), false},
		{"found nothing again", searched("s5", "不存在", 0, now), false},
		{"six days ago (Shanghai) still counts", searched("s6", "口红", 2, time.Date(2026, 11, 16, 16, 30, 0, 0, time.UTC)), false},
		{"seven days ago is out of the window", searched("s7", "面霜", 2, time.Date(2026, 11, 16, 15, 30, 0, 0, time.UTC)), false},
		{"words the catalogue does not have", searched("s8", "连衣裙 <b>probe</b>", 3, now), false},
	}
	for _, c := range cases {
		if err := h(ctx, c.msg); isPermanent(err) != c.permanent || (!c.permanent && err != nil) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// The instance that consumed shows its counts at once (面霜 too, until
	// its next reload drops what is out of the window).
	hot, _ := a.keywords.HotKeywords(0)
	if got := fmt.Sprint(hot); got != "[{连衣裙 2} {口红 1} {碎花 1} {面霜 1}]" {
		t.Errorf("consuming instance: %s", got)
	}
	// Another instance over the same database, or a restart, loads the window.
	b := newInstance()
	hot, _ = b.keywords.HotKeywords(0)
	if got := fmt.Sprint(hot); got != "[{连衣裙 2} {口红 1} {碎花 1}]" {
		t.Errorf("second instance: %s", got)
	}
	// More searches counted by B reach A at its next refresh.
	hb := HotKeywordsHandler(b.keywords)
	for i := 0; i < 3; i++ {
		if err := hb(ctx, searched(fmt.Sprintf("b%d", i), "碎花", 1, now)); err != nil {
			t.Fatal(err)
		}
	}
	if err := hb(ctx, searched("b2", "碎花", 1, now)); err != nil { // redelivered to B
		t.Fatal(err)
	}
	refreshOnce(t, a.loader)
	ha, _ := a.keywords.HotKeywords(0)
	hb2, _ := b.keywords.HotKeywords(0)
	if fmt.Sprint(ha) != "[{碎花 4} {连衣裙 2} {口红 1}]" || fmt.Sprint(ha) != fmt.Sprint(hb2) {
		t.Errorf("after refresh: A %v, B %v", ha, hb2)
	}
	sug, _ := a.keywords.SuggestKeywords("", 0)
	if fmt.Sprint(sug) != "[碎花 连衣裙 口红]" {
		t.Errorf("suggestions for an empty prefix: %v", sug)
	}
}

// refreshOnce runs what each tick of the refresh loop runs.
func refreshOnce(t *testing.T, l *app.Loader) {
	t.Helper()
	if err := l.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
}
