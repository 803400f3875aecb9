package domain

import (
	"testing"
	"time"
)

func reason(err error) string {
	if err == nil {
		return ""
	}
	return string(err.(*Error).Reason)
}

func TestNormalizeLines(t *testing.T) {
	cases := []struct {
		name   string
		in     []Line
		want   []Line
		reason string
	}{
		{"none", nil, nil, "LINES_REQUIRED"},
		{"no sku", []Line{{Qty: 1}}, nil, "SKU_ID_REQUIRED"},
		{"zero qty", []Line{{SkuID: "a", Qty: 0}}, nil, "QUANTITY_INVALID"},
		{"negative qty", []Line{{SkuID: "a", Qty: -2}}, nil, "QUANTITY_INVALID"},
		{"huge qty", []Line{{SkuID: "a", Qty: MaxLineQuantity + 1}}, nil, "QUANTITY_INVALID"},
		{"repeats summing too high", []Line{{SkuID: "a", Qty: MaxLineQuantity}, {SkuID: "a", Qty: 1}}, nil, "QUANTITY_INVALID"},
		{"too many lines", make([]Line, MaxReservationLines+1), nil, "LINES_INVALID"},
		{"merged and sorted", []Line{{SkuID: "b", Qty: 1}, {SkuID: "a", Qty: 2}, {SkuID: "b", Qty: 3}}, []Line{{SkuID: "a", Qty: 2}, {SkuID: "b", Qty: 4}}, ""},
	}
	for _, c := range cases {
		got, err := NormalizeLines(c.in)
		if reason(err) != c.reason || (err == nil && !SameLines(got, c.want)) {
			t.Errorf("%s: got %v %v, want %v %s", c.name, got, err, c.want, c.reason)
		}
	}
}

func TestOrderIDAndTTL(t *testing.T) {
	for id, ok := range map[string]bool{"o-1": true, "ORD_2026": true, "": false, "a.b": false, "$x": false, "中文": false} {
		if (ValidateOrderID(id) == nil) != ok {
			t.Errorf("order id %q: ok=%v", id, !ok)
		}
	}
	for sec, want := range map[int32]time.Duration{0: DefaultReservation, 60: time.Minute, 86400: 24 * time.Hour, -1: 0, 86401: 0} {
		got, err := ReservationTTL(sec)
		if got != want || (err != nil) != (want == 0) {
			t.Errorf("ttl %d: %v %v", sec, got, err)
		}
	}
}

func TestHoldUnholdAdjust(t *testing.T) {
	st := Stock{StockLevel: StockLevel{SkuID: "s", Available: 3, LowThreshold: 2}}
	if ch, err := st.Hold("o1", 2); !ch || err != nil || st.Available != 1 || st.Reserved != 2 {
		t.Fatalf("hold: %v %v %+v", ch, err, st)
	}
	if ch, err := st.Hold("o1", 2); ch || err != nil || st.Available != 1 {
		t.Fatalf("repeat hold must change nothing: %v %v %+v", ch, err, st)
	}
	if _, err := st.Hold("o2", 2); reason(err) != "OUT_OF_STOCK" || err.(*Error).Meta["sku_id"] != "s" {
		t.Fatalf("short hold: %v", err)
	}
	if !st.Unhold("o1", true) || st.Sold != 2 || st.Reserved != 0 || st.Available != 1 {
		t.Fatalf("confirm: %+v", st)
	}
	if st.Unhold("o1", true) || st.Sold != 2 {
		t.Fatalf("repeat confirm must change nothing: %+v", st)
	}
	st.Hold("o3", 1)
	if !st.Unhold("o3", false) || st.Available != 1 || st.Reserved != 0 {
		t.Fatalf("release: %+v", st)
	}
	a, ch, err := st.Adjust(Adjustment{RequestID: "r1", Delta: 10, Reason: "到货", Operator: "admin:ops"})
	if !ch || err != nil || a.Before != 1 || a.After != 11 || st.Available != 11 {
		t.Fatalf("adjust: %+v %v %v", a, ch, err)
	}
	if again, ch, err := st.Adjust(Adjustment{RequestID: "r1", Delta: 10, Reason: "到货"}); ch || err != nil || again.After != 11 || st.Available != 11 {
		t.Fatalf("repeat adjust: %+v %v %v", again, ch, err)
	}
	if _, _, err := st.Adjust(Adjustment{RequestID: "r1", Delta: 5, Reason: "到货"}); reason(err) != "REQUEST_ID_REUSED" {
		t.Fatalf("reused id: %v", err)
	}
	if _, _, err := st.Adjust(Adjustment{RequestID: "r2", Delta: -12, Reason: "盘亏"}); reason(err) != "STOCK_NEGATIVE" {
		t.Fatalf("below zero: %v", err)
	}
}

func TestValidateAdjustment(t *testing.T) {
	cases := []struct {
		delta     int64
		reasonTxt string
		req       string
		want      string
	}{
		{5, "到货", "r", ""},
		{-5, "盘亏", "r", ""},
		{0, "x", "r", "DELTA_INVALID"},
		{2_000_000, "x", "r", "DELTA_INVALID"},
		{1, "  ", "r", "REASON_REQUIRED"},
		{1, "x", "", "REQUEST_ID_REQUIRED"},
	}
	for _, c := range cases {
		if got := reason(ValidateAdjustment(c.delta, c.reasonTxt, c.req)); got != c.want {
			t.Errorf("%+v: %q", c, got)
		}
	}
}

func TestReservationSteps(t *testing.T) {
	cases := []struct {
		st                     ResState
		confirm, release       bool
		confirmErr, releaseErr string
	}{
		{ResPending, false, false, "RESERVATION_PENDING", "RESERVATION_PENDING"},
		{ResReserved, true, true, "", ""},
		{ResConfirming, true, false, "", "RESERVATION_CONFIRMED"},
		{ResConfirmed, false, false, "", "RESERVATION_CONFIRMED"},
		{ResReleasing, false, true, "RESERVATION_RELEASED", ""},
		{ResReleased, false, false, "RESERVATION_RELEASED", ""},
		{ResExpired, false, false, "RESERVATION_EXPIRED", ""},
		{ResFailed, false, false, "OUT_OF_STOCK", ""},
	}
	for _, c := range cases {
		p, err := ConfirmStep(c.st)
		if p != c.confirm || reason(err) != c.confirmErr {
			t.Errorf("confirm in %d: %v %v", c.st, p, err)
		}
		p, err = ReleaseStep(c.st)
		if p != c.release || reason(err) != c.releaseErr {
			t.Errorf("release in %d: %v %v", c.st, p, err)
		}
	}
}

func TestCrossedLow(t *testing.T) {
	for _, c := range []struct {
		before, after, th int64
		want              bool
	}{{6, 4, 5, true}, {5, 4, 5, true}, {4, 3, 5, false}, {10, 5, 5, false}, {3, 8, 5, false}} {
		if CrossedLow(c.before, c.after, c.th) != c.want {
			t.Errorf("%+v", c)
		}
	}
}

func TestMemberLists(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var favs []SavedItem
	var err error
	for i := 0; i < MaxFavourites; i++ {
		if favs, _, err = AddFavourite(favs, string(rune('a'+i%26))+string(rune('0'+i/26)), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if favs[0].ProductID != "r7" || len(favs) != MaxFavourites {
		t.Fatalf("newest first: %v (%d)", favs[0], len(favs))
	}
	if _, changed, err := AddFavourite(favs, "a0", t0); changed || err != nil {
		t.Errorf("saving again: %v %v", changed, err)
	}
	if _, _, err := AddFavourite(favs, "new", t0); reason(err) != "FAVOURITES_FULL" {
		t.Errorf("cap: %v", err)
	}
	favs, ok := RemoveItem(favs, "a0")
	if !ok || len(favs) != MaxFavourites-1 {
		t.Errorf("remove: %v %d", ok, len(favs))
	}
	if _, ok := RemoveItem(favs, "a0"); ok {
		t.Errorf("removing twice")
	}

	var h []SavedItem
	for i := 0; i < MaxHistory+5; i++ {
		h = RecordView(h, string(rune('A'+i%26))+string(rune('0'+i/26)), t0.Add(time.Duration(i)*time.Second))
	}
	if len(h) != MaxHistory || h[0].ProductID != "A4" {
		t.Fatalf("history capped, latest first: %d %v", len(h), h[0])
	}
	h = RecordView(h, "Z2", t0.Add(time.Hour))
	if len(h) != MaxHistory || h[0].ProductID != "Z2" || h[1].ProductID != "A4" {
		t.Errorf("a repeat view moves to the top without duplicates: %v %v", h[0], h[1])
	}
	seen := map[string]bool{}
	for _, it := range h {
		if seen[it.ProductID] {
			t.Fatalf("%s twice", it.ProductID)
		}
		seen[it.ProductID] = true
	}
}
