package fault

import (
	"errors"
	"fmt"
	"testing"
)

const reasonSoldOut Reason = "OUT_OF_STOCK"

var errSoldOut = New(Precondition, reasonSoldOut, "sold out")

func TestWithKeepsTemplate(t *testing.T) {
	f := errSoldOut.With("sku", "A")
	if errSoldOut.Meta != nil {
		t.Fatal("With changed the template")
	}
	if f.Meta["sku"] != "A" || f.Reason != reasonSoldOut || f.Kind != Precondition {
		t.Fatalf("f = %+v", f)
	}
	g := f.With("qty", "2")
	if len(f.Meta) != 1 || len(g.Meta) != 2 {
		t.Fatalf("metadata shared between copies: %v %v", f.Meta, g.Meta)
	}
	wrapped := fmt.Errorf("reserve: %w", g)
	if !errors.Is(wrapped, errSoldOut) {
		t.Error("enriched fault does not match its template")
	}
	if errors.Is(wrapped, New(Precondition, "OTHER", "x")) {
		t.Error("matched another reason")
	}
	if ReasonOf(wrapped) != reasonSoldOut || KindOf(wrapped) != Precondition {
		t.Error("ReasonOf/KindOf lost the fault")
	}
	if ReasonOf(errors.New("plain")) != "" || KindOf(nil) != 0 {
		t.Error("reason from a plain error")
	}
	if m := errSoldOut.WithMsg("sku A sold out"); m.Msg != "sku A sold out" || errSoldOut.Msg != "sold out" {
		t.Error("WithMsg")
	}
}

func TestPermanent(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("connection refused"), false},
		{New(Invalid, "X", "x"), true},
		{New(NotFound, "X", "x"), true},
		{New(Conflict, "X", "x"), true},
		{fmt.Errorf("w: %w", New(Precondition, "X", "x")), true},
		{New(Permission, "X", "x"), true},
		{New(Exhausted, "X", "x"), false},
		{New(Aborted, "X", "x"), false},
		{New(Unavailable, "X", "x"), false},
	}
	for _, c := range cases {
		if got := Permanent(c.err); got != c.want {
			t.Errorf("Permanent(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestValidReason(t *testing.T) {
	for r, want := range map[Reason]bool{"OUT_OF_STOCK": true, "A1": true, "": false, "out_of_stock": false, "_X": false, "X_": false, "A__B": false, "1A": false, "A-B": false} {
		if ValidReason(r) != want {
			t.Errorf("ValidReason(%q) = %v", r, !want)
		}
	}
	if Kind(0).String() != "unknown" || Precondition.String() != "precondition" || Kind(200).String() != "unknown" {
		t.Error("Kind.String")
	}
}
