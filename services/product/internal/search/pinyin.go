package search

import (
	"strings"
	"sync"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// Pinyin matching lets shoppers type what their keyboard gives before the
// characters: "lianyiqun" (full syllables) or "lyq" (initials) for 连衣裙.
// A title's consecutive Chinese characters become syllable bigrams
// ("py:lianyi", "py:yiqun") and initial bigrams ("pi:ly", "pi:yq"), the
// same shape as the CJK bigrams, so a query must hold adjacent syllables to
// match. The prefixes keep them apart from real words: the analyser splits
// on ':', so no analysed term contains one. Each character takes its most
// common reading (go-pinyin's first), so a polyphone read otherwise in a
// word (长款 as "zhangkuan") is found under that reading only.
const (
	syllablePrefix = "py:"
	initialPrefix  = "pi:"
)

var (
	readings sync.Map // rune → its toneless syllable ("" when it has none)
	pyArgs   = pinyin.Args{Style: pinyin.Normal}

	syllablesOnce sync.Once
	syllables     map[string]bool // every toneless syllable of the dictionary
	longest       int
)

// reading is r's toneless syllable, "lv" for 绿 (v stands for ü, as on
// Chinese keyboards).
func reading(r rune) string {
	if v, ok := readings.Load(r); ok {
		return v.(string)
	}
	var s string
	if py := pinyin.SinglePinyin(r, pyArgs); len(py) > 0 {
		s = py[0]
	}
	readings.Store(r, s)
	return s
}

// pinyinTerms are a title's syllable and initial bigrams.
func pinyinTerms(title string) []string {
	var out []string
	prev := ""
	for _, r := range title {
		if !unicode.Is(unicode.Han, r) {
			prev = ""
			continue
		}
		cur := reading(r)
		if cur == "" {
			prev = ""
			continue
		}
		if prev != "" {
			out = append(out, syllablePrefix+prev+cur, initialPrefix+prev[:1]+cur[:1])
		}
		prev = cur
	}
	return out
}

func loadSyllables() {
	syllables = map[string]bool{}
	args := pinyin.Args{Style: pinyin.Normal, Heteronym: true}
	for r := range pinyin.PinyinDict {
		for _, s := range pinyin.SinglePinyin(rune(r), args) {
			if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") == "" {
				syllables[s] = true
				longest = max(longest, len(s))
			}
		}
	}
}

// splitSyllables cuts letters into the fewest valid syllables ("xian" is
// 先, not 西安, unless typed "xi'an"); ok is false when they cannot be cut.
func splitSyllables(s string) ([]string, bool) {
	syllablesOnce.Do(loadSyllables)
	n := len(s)
	// best[i] is the fewest syllables covering s[:i]; from[i] where the last starts.
	best := make([]int, n+1)
	from := make([]int, n+1)
	for i := 1; i <= n; i++ {
		best[i] = -1
		for j := max(0, i-longest); j < i; j++ {
			if best[j] >= 0 && syllables[s[j:i]] && (best[i] < 0 || best[j]+1 < best[i]) {
				best[i], from[i] = best[j]+1, j
			}
		}
	}
	if n == 0 || best[n] < 0 {
		return nil, false
	}
	out := make([]string, best[n])
	for i, k := n, best[n]-1; i > 0; i, k = from[i], k-1 {
		out[k] = s[from[i]:i]
	}
	return out, true
}

// pinyinQuery reads a query of Latin letters as pinyin: the syllable
// bigrams of its full syllables (spaces and apostrophes may separate them),
// and, for one word of letters, the bigrams of those letters as initials.
// Either is nil when the query cannot be read that way; one syllable or one
// letter is too ambiguous to search by.
func pinyinQuery(q string) (full, initials []string) {
	q = strings.ToLower(foldWidth(q))
	var letters []byte
	var parts []string
	for _, f := range strings.FieldsFunc(q, func(r rune) bool { return r == ' ' || r == '\'' || r == '\u3000' }) {
		for i := 0; i < len(f); i++ {
			if f[i] < 'a' || f[i] > 'z' {
				return nil, nil
			}
		}
		parts = append(parts, f)
		letters = append(letters, f...)
	}
	var syl []string
	for _, p := range parts {
		s, ok := splitSyllables(p)
		if !ok {
			syl = nil
			break
		}
		syl = append(syl, s...)
	}
	for i := 1; i < len(syl); i++ {
		full = appendNew(full, syllablePrefix+syl[i-1]+syl[i])
	}
	if len(parts) == 1 && len(letters) >= 2 {
		for i := 1; i < len(letters); i++ {
			initials = appendNew(initials, initialPrefix+string(letters[i-1:i+1]))
		}
	}
	return full, initials
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
