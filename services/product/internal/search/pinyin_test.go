package search

import (
	"fmt"
	"testing"
)

func TestSplitSyllables(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"lianyiqun", "[lian yi qun]"},
		{"xian", "[xian]"}, // fewest syllables: 先, not 西安
		{"zhongguo", "[zhong guo]"},
		{"lvse", "[lv se]"}, // v for ü
		{"puer", "[pu er]"},
		{"iphone", "[] false"},
		{"xyz", "[] false"},
	} {
		got, ok := splitSyllables(c.in)
		s := fmt.Sprint(got)
		if !ok {
			s += " false"
		}
		if s != c.want {
			t.Errorf("splitSyllables(%q) = %s, want %s", c.in, s, c.want)
		}
	}
}

func TestPinyinQueryAndTerms(t *testing.T) {
	for _, c := range []struct{ in, full, initials string }{
		{"lianyiqun", "[py:lianyi py:yiqun]", "[pi:li pi:ia pi:an pi:ny pi:yi pi:iq pi:qu pi:un]"},
		{"Lian Yi'qun", "[py:lianyi py:yiqun]", "[]"},
		{"lyq", "[]", "[pi:ly pi:yq]"},
		{"qun", "[]", "[pi:qu pi:un]"},
		{"q", "[]", "[]"},
		{"连衣裙", "[]", "[]"},
		{"iphone 15", "[]", "[]"},
	} {
		full, initials := pinyinQuery(c.in)
		if fmt.Sprint(full) != c.full || fmt.Sprint(initials) != c.initials {
			t.Errorf("pinyinQuery(%q) = %v %v, want %s %s", c.in, full, initials, c.full, c.initials)
		}
	}
	if got := fmt.Sprint(pinyinTerms("碎花连衣裙 iPhone 绿色")); got != "[py:suihua pi:sh py:hualian pi:hl py:lianyi pi:ly py:yiqun pi:yq py:lvse pi:ls]" {
		t.Errorf("pinyinTerms: %s", got)
	}
}

// TestPinyinRanksBelowDirect: a brand typed in Latin letters is a word in
// one title and the pinyin of another; the title with the word comes first.
func TestPinyinRanksBelowDirect(t *testing.T) {
	x := New()
	x.Put("band", "小米手环 8", Field{Text: "小米手环 8", Weight: 3})
	x.Put("bank", "Xiaomi 充电宝", Field{Text: "Xiaomi 充电宝", Weight: 3})
	x.Put("rice", "东北大米", Field{Text: "东北大米", Weight: 3})
	if got := ids(x.Match("xiaomi")); got != "[bank band]" {
		t.Errorf("xiaomi: %s", got)
	}
	if got := ids(x.Match("dami")); got != "[rice]" {
		t.Errorf("dami: %s", got)
	}
	// Initials only when nothing else matched; Chinese is never pinyin.
	if got := ids(x.Match("xm")); got != "[band]" {
		t.Errorf("xm: %s", got)
	}
	if got := ids(x.Match("小米")); got != "[band]" {
		t.Errorf("小米: %s", got)
	}
	// Removing a document removes its pinyin too.
	x.Remove("band")
	if got := ids(x.Match("xiaomi")); got != "[bank]" {
		t.Errorf("after remove: %s", got)
	}
}
