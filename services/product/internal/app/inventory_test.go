package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/testkit"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/mongostore"
)

// invEnv is a service on the embedded store with one category and products
// whose SKUs have the given stock, SKU ids "<product>-<code>".
type invEnv struct {
	s     *kit
	store *mongostore.Store
	db    *mongo.Database
	clk   *clock.Fake
}

func newInvEnv(t *testing.T, stock map[string]int64) *invEnv {
	t.Helper()
	ctx := context.Background()
	db := testkit.DB(t)
	e := &invEnv{db: db, clk: clock.NewFake(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))}
	e.store = mongostore.New(db)
	e.s = newKit(e.store, stores{Inventory: e.store}, e.clk)
	if err := e.s.loader.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.products.CreateCategory(ctx, domain.Category{Name: "手机"}, "phone"); err != nil {
		t.Fatal(err)
	}
	for code, n := range stock {
		p := domain.Product{Title: "商品 " + code, CategoryID: "phone", Status: domain.StatusOnSale, Skus: []domain.Sku{{Code: code, PriceFen: 100, Stock: n}}}
		if _, err := e.s.products.CreateProduct(ctx, p, pid(code)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func pid(code string) string { return "p-" + strings.ToLower(code) }
func sku(code string) string { return pid(code) + "-" + code }

func (e *invEnv) level(t *testing.T, code string) domain.StockLevel {
	t.Helper()
	l, err := e.s.inventory.GetStock(context.Background(), sku(code))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (e *invEnv) wantLevel(t *testing.T, code string, avail, reserved, sold int64) {
	t.Helper()
	l := e.level(t, code)
	if l.Available != avail || l.Reserved != reserved || l.Sold != sold {
		t.Errorf("%s: available/reserved/sold %d/%d/%d, want %d/%d/%d", code, l.Available, l.Reserved, l.Sold, avail, reserved, sold)
	}
	// The read model shoppers are served from follows every change.
	p, err := e.s.catalog.GetProduct(pid(code))
	if err != nil || p.Skus[0].Stock != avail {
		t.Errorf("%s: read model stock %v (%v), want %d", code, p.Skus, err, avail)
	}
}

func reasonOf(err error) string {
	if de, ok := err.(*domain.Error); ok {
		return string(de.Reason)
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func TestConcurrentReservationsNeverOversell(t *testing.T) {
	e := newInvEnv(t, map[string]int64{"A": 10})
	ctx := context.Background()
	var ok, out atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.s.inventory.ReserveStock(ctx, fmt.Sprintf("o-%d", i), []domain.Line{{SkuID: sku("A"), Qty: 1}}, 0)
			switch reasonOf(err) {
			case "":
				ok.Add(1)
			case "OUT_OF_STOCK":
				out.Add(1)
			default:
				t.Errorf("reservation %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 10 || out.Load() != 190 {
		t.Fatalf("%d successes, %d out of stock; want 10 and 190", ok.Load(), out.Load())
	}
	e.wantLevel(t, "A", 0, 10, 0)

	// Repeating reservations with the same order ids changes nothing: the
	// winners get their reservation again, the losers their failure.
	for i := 0; i < 200; i++ {
		r, err := e.s.inventory.ReserveStock(ctx, fmt.Sprintf("o-%d", i), []domain.Line{{SkuID: sku("A"), Qty: 1}}, 0)
		if err == nil && r.State != domain.ResReserved {
			t.Fatalf("repeat %d: state %d", i, r.State)
		}
		if err != nil && reasonOf(err) != "OUT_OF_STOCK" {
			t.Fatalf("repeat %d: %v", i, err)
		}
	}
	e.wantLevel(t, "A", 0, 10, 0)
}

func TestReservationAllOrNothingAndIdempotent(t *testing.T) {
	e := newInvEnv(t, map[string]int64{"A": 5, "B": 1, "C": 3})
	ctx := context.Background()
	lines := []domain.Line{{SkuID: sku("A"), Qty: 2}, {SkuID: sku("C"), Qty: 1}, {SkuID: sku("B"), Qty: 2}}
	_, err := e.s.inventory.ReserveStock(ctx, "o-short", lines, 0)
	if reasonOf(err) != "OUT_OF_STOCK" || err.(*domain.Error).Meta["sku_id"] != sku("B") {
		t.Fatalf("short line: %v", err)
	}
	e.wantLevel(t, "A", 5, 0, 0)
	e.wantLevel(t, "B", 1, 0, 0)
	e.wantLevel(t, "C", 3, 0, 0)
	if r, _ := e.s.inventory.GetReservation(ctx, "o-short"); r.State != domain.ResFailed {
		t.Errorf("failed reservation state %d", r.State)
	}

	lines = []domain.Line{{SkuID: sku("A"), Qty: 1}, {SkuID: sku("C"), Qty: 2}, {SkuID: sku("A"), Qty: 1}}
	r, err := e.s.inventory.ReserveStock(ctx, "o-1", lines, 60)
	if err != nil || r.State != domain.ResReserved || len(r.Lines) != 2 || !r.ExpiresAt.Equal(e.clk.Now().Add(time.Minute)) {
		t.Fatalf("reserve: %+v %v", r, err)
	}
	if _, err := e.s.inventory.ReserveStock(ctx, "o-1", lines, 60); err != nil {
		t.Fatalf("repeat: %v", err)
	}
	if _, err := e.s.inventory.ReserveStock(ctx, "o-1", lines[:1], 60); reasonOf(err) != "RESERVATION_MISMATCH" {
		t.Fatalf("other lines, same order: %v", err)
	}
	e.wantLevel(t, "A", 3, 2, 0)
	e.wantLevel(t, "C", 1, 2, 0)

	if _, err := e.s.inventory.ReleaseReservation(ctx, "o-1"); reasonOf(err) != "" {
		t.Fatal(err)
	}
	if r, err := e.s.inventory.ReleaseReservation(ctx, "o-1"); err != nil || r.State != domain.ResReleased {
		t.Fatalf("repeat release: %+v %v", r, err)
	}
	if _, err := e.s.inventory.ConfirmReservation(ctx, "o-1"); reasonOf(err) != "RESERVATION_RELEASED" {
		t.Fatalf("confirm released: %v", err)
	}
	e.wantLevel(t, "A", 5, 0, 0)

	if _, err := e.s.inventory.ReserveStock(ctx, "o-2", []domain.Line{{SkuID: sku("A"), Qty: 4}}, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if r, err := e.s.inventory.ConfirmReservation(ctx, "o-2"); err != nil || r.State != domain.ResConfirmed {
			t.Fatalf("confirm %d: %+v %v", i, r, err)
		}
	}
	if _, err := e.s.inventory.ReleaseReservation(ctx, "o-2"); reasonOf(err) != "RESERVATION_CONFIRMED" {
		t.Fatalf("release confirmed: %v", err)
	}
	e.wantLevel(t, "A", 1, 0, 4)

	for name, err := range map[string]error{
		"unknown sku":   second(e.s.inventory.ReserveStock(ctx, "o-3", []domain.Line{{SkuID: "nope", Qty: 1}}, 0)),
		"bad order id":  second(e.s.inventory.ReserveStock(ctx, "o.3", []domain.Line{{SkuID: sku("A"), Qty: 1}}, 0)),
		"unknown order": second(e.s.inventory.ConfirmReservation(ctx, "o-404")),
	} {
		want := map[string]string{"unknown sku": "SKU_NOT_FOUND", "bad order id": "ORDER_ID_INVALID", "unknown order": "RESERVATION_NOT_FOUND"}[name]
		if reasonOf(err) != want {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestSweeperExpiresAndRepairs(t *testing.T) {
	e := newInvEnv(t, map[string]int64{"A": 5, "B": 5})
	ctx := context.Background()
	if _, err := e.s.inventory.ReserveStock(ctx, "o-exp", []domain.Line{{SkuID: sku("A"), Qty: 2}}, 60); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.inventory.ReserveStock(ctx, "o-keep", []domain.Line{{SkuID: sku("A"), Qty: 1}}, 600); err != nil {
		t.Fatal(err)
	}
	// A crash part-way: the anchor is written and one of two SKUs holds.
	now := e.clk.Now()
	crashed := domain.Reservation{OrderID: "o-crash", Lines: []domain.Line{{SkuID: sku("A"), Qty: 1}, {SkuID: sku("B"), Qty: 1}}, State: domain.ResPending, CreatedAt: now, ExpiresAt: now.Add(time.Hour), UpdatedAt: now}
	if _, err := e.store.CreateReservation(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.inventory.mutate(ctx, sku("A"), domain.CauseReserve, "o-crash", func(st *domain.Stock) (bool, error) { return st.Hold("o-crash", 1) }); err != nil {
		t.Fatal(err)
	}
	e.wantLevel(t, "A", 1, 4, 0)

	if n, err := e.s.inventory.SweepReservations(ctx, "one"); err != nil || n != 0 {
		t.Fatalf("nothing is due yet: %d %v", n, err)
	}
	e.clk.Advance(2 * time.Minute)
	// A restarted service on the same database picks the work up.
	restarted := newKit(e.store, stores{Inventory: e.store}, e.clk)
	if err := restarted.loader.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := restarted.inventory.SweepReservations(ctx, "one"); err != nil || n != 2 {
		t.Fatalf("sweep: %d %v, want the expired and the crashed reservation", n, err)
	}
	// Another instance does not sweep while the first holds the lease.
	if ok, err := e.store.ClaimLease(ctx, sweeperName, "two", e.clk.Now(), e.clk.Now().Add(leaseTTL)); ok || err != nil {
		t.Fatalf("second instance took the lease during the first's: %v %v", ok, err)
	}
	for id, want := range map[string]domain.ResState{"o-exp": domain.ResExpired, "o-crash": domain.ResExpired, "o-keep": domain.ResReserved} {
		if r, _ := e.s.inventory.GetReservation(ctx, id); r.State != want {
			t.Errorf("%s: state %d, want %d", id, r.State, want)
		}
	}
	if l, _ := restarted.inventory.GetStock(ctx, sku("A")); l.Available != 4 || l.Reserved != 1 {
		t.Errorf("after sweep A: %+v", l)
	}
	if p, _ := restarted.catalog.GetProduct(pid("A")); p.Skus[0].Stock != 4 {
		t.Errorf("restarted read model: %+v", p.Skus)
	}
	if _, err := e.s.inventory.ConfirmReservation(ctx, "o-exp"); reasonOf(err) != "RESERVATION_EXPIRED" {
		t.Errorf("confirm expired: %v", err)
	}
	// A reservation past expiry the sweeper has not reached expires on confirm.
	e.clk.Advance(time.Hour)
	if _, err := e.s.inventory.ConfirmReservation(ctx, "o-keep"); reasonOf(err) != "RESERVATION_EXPIRED" {
		t.Errorf("confirm after expiry: %v", err)
	}
	if _, err := e.s.inventory.ReleaseReservation(ctx, "o-keep"); err != nil {
		t.Errorf("release of an expired reservation is a no-op: %v", err)
	}
	e.wantLevel(t, "A", 5, 0, 0)
	e.wantLevel(t, "B", 5, 0, 0)

	// The lease passes to another instance once it runs out.
	e.clk.Advance(leaseTTL + time.Second)
	if ok, err := e.store.ClaimLease(ctx, sweeperName, "two", e.clk.Now(), e.clk.Now().Add(leaseTTL)); !ok || err != nil {
		t.Errorf("expired lease not taken over: %v %v", ok, err)
	}
	if ok, _ := e.store.ClaimLease(ctx, sweeperName, "one", e.clk.Now(), e.clk.Now().Add(leaseTTL)); ok {
		t.Errorf("lease taken from a live holder")
	}
}

func TestAdjustmentsAuditedWithEvents(t *testing.T) {
	e := newInvEnv(t, map[string]int64{"A": 6})
	ctx := context.Background()
	l, a, err := e.s.inventory.AdjustStock(ctx, "admin:ops", sku("A"), -2, "盘点损耗", "adj-1")
	if err != nil || l.Available != 4 || a.Before != 6 || a.After != 4 || a.Operator != "admin:ops" {
		t.Fatalf("adjust: %+v %+v %v", l, a, err)
	}
	if _, a2, err := e.s.inventory.AdjustStock(ctx, "admin:other", sku("A"), -2, "盘点损耗", "adj-1"); err != nil || a2.Operator != "admin:ops" {
		t.Fatalf("repeat adjust: %+v %v", a2, err)
	}
	if _, _, err := e.s.inventory.AdjustStock(ctx, "admin:ops", sku("A"), 10, "到货", "adj-2"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.s.inventory.AdjustStock(ctx, "admin:ops", "nope", 1, "x", "adj-3"); reasonOf(err) != "SKU_NOT_FOUND" {
		t.Errorf("unknown sku: %v", err)
	}
	e.wantLevel(t, "A", 14, 0, 0)
	list, next, err := e.s.inventory.ListStockAdjustments(ctx, sku("A"), 1, "")
	if err != nil || len(list) != 1 || list[0].RequestID != "adj-2" || next == "" {
		t.Fatalf("page 1: %+v %q %v", list, next, err)
	}
	list, next, err = e.s.inventory.ListStockAdjustments(ctx, sku("A"), 1, next)
	if err != nil || len(list) != 1 || list[0].RequestID != "adj-1" || next != "" {
		t.Fatalf("page 2: %+v %q %v", list, next, err)
	}

	// Stock events wait in the SKU document's outbox (no relay runs here):
	// each change published stock_changed, and falling below the threshold
	// of 5 published stock_low once.
	var doc struct {
		Outbox []struct {
			Subject string `bson:"subject"`
		} `bson:"outbox"`
	}
	if err := e.store.StockColl.FindOne(ctx, bson.M{"_id": sku("A")}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, o := range doc.Outbox {
		count[o.Subject]++
	}
	if count["siyu.product.stock_changed"] != 2 || count["siyu.product.stock_low"] != 1 {
		t.Errorf("outbox: %v", count)
	}
}
