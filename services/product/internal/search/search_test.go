package search

import (
	"fmt"
	"testing"
)

func ids(hits []Hit) string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return fmt.Sprint(out)
}

func TestPutReplaceRemove(t *testing.T) {
	x := New()
	x.Put("a", "夏季碎花连衣裙", Field{Text: "夏季碎花连衣裙", Weight: 3})
	x.Put("b", "iPhone 15 手机壳", Field{Text: "iPhone 15 手机壳", Weight: 3})
	if got := ids(x.Match("连衣裙")); got != "[a]" {
		t.Fatalf("连衣裙: %s", got)
	}
	if got := ids(x.Match("裙")); got != "[a]" {
		t.Fatalf("one character: %s", got)
	}
	if got := ids(x.Match("手机壳")); got != "[b]" {
		t.Fatalf("手机壳: %s", got)
	}
	// A new version replaces the old one: old words stop matching.
	x.Put("a", "雪纺长裙", Field{Text: "雪纺长裙", Weight: 3})
	if got := ids(x.Match("连衣裙")); got != "[]" {
		t.Fatalf("stale words still match: %s", got)
	}
	if got := ids(x.Match("长裙")); got != "[a]" || x.Len() != 2 {
		t.Fatalf("new words: %s (len %d)", got, x.Len())
	}
	x.Remove("a")
	x.Remove("a")
	if got := ids(x.Match("长裙")); got != "[]" || x.Len() != 1 {
		t.Fatalf("removed: %s (len %d)", got, x.Len())
	}
	// A removed slot is reused without mixing documents up.
	x.Put("c", "碎花半身裙", Field{Text: "碎花半身裙", Weight: 3})
	if got := ids(x.Match("碎花")); got != "[c]" || ids(x.Match("iphone")) != "[b]" {
		t.Fatalf("after reuse: %s", got)
	}
	for _, q := range []string{"", "   ", "！？"} {
		if hits := x.Match(q); len(hits) != 0 {
			t.Errorf("%q matched %v", q, hits)
		}
	}
}

func TestTokens(t *testing.T) {
	for in, want := range map[string]string{
		"连衣裙":           "[连衣 衣裙]",
		"iPhone 15 手机壳": "[iphone 15 手机 机壳]",
		"ｉＰｈｏｎｅ　１５":     "[iphone 15]",
		"裙 裙":           "[裙]",
	} {
		if got := fmt.Sprint(Tokens(in)); got != want {
			t.Errorf("Tokens(%q) = %s, want %s", in, got, want)
		}
	}
}
