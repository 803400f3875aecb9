package app_test

import (
	"context"
	"testing"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/messaging/internal/app"
	"siyu.dev/services/messaging/internal/domain"
	"siyu.dev/services/messaging/internal/memstore"
)

func TestCatalogCachesReadsAndDropsWhatItsWritesChange(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(noon)
	store := memstore.New()
	cat := app.NewCatalog(store.Rules(), store.Templates(), 2*time.Second, clk)
	admin := app.NewAdmin(cat.Templates(), cat.Rules(), store.Deliveries(), nil, clk)
	if err := admin.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := cat.Rules().Get(ctx, domain.EventOrderShipped); !ok {
		t.Fatal("seeded rule missing")
	}
	// Written behind the catalog's back (another instance): seen after the ttl.
	_ = store.Rules().Delete(ctx, domain.EventOrderShipped)
	if _, ok, _ := cat.Rules().Get(ctx, domain.EventOrderShipped); !ok {
		t.Fatal("the cached rule was not served")
	}
	clk.Advance(2 * time.Second)
	if _, ok, _ := cat.Rules().Get(ctx, domain.EventOrderShipped); ok {
		t.Fatal("a deleted rule outlived the ttl")
	}
	// Written through the catalog: seen at once.
	tpl, _ := cat.Templates().Get(ctx, "order_shipped")
	tpl.Name = "已发出"
	if _, err := admin.UpdateTemplate(ctx, tpl); err != nil {
		t.Fatal(err)
	}
	if got, _ := cat.Templates().Get(ctx, "order_shipped"); got.Name != "已发出" || got.Version != 2 {
		t.Fatalf("after an update through the catalog: %+v", got)
	}
	if _, err := admin.SetRule(ctx, domain.Rule{EventType: domain.EventOrderShipped, Targets: []domain.Target{{TemplateID: "order_shipped", Channels: []domain.Channel{domain.ChannelInApp}}}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := cat.Rules().Get(ctx, domain.EventOrderShipped); !ok {
		t.Fatal("a rule set through the catalog was not seen at once")
	}
}
