// Package search is the product service's keyword index: an in-memory
// inverted index with BM25 ranking over text analysed by bleve's CJK chain
// (Unicode word segmentation, full/half-width folding, lower case, CJK
// bigrams). Bigrams make Chinese work without a dictionary: "连衣裙" is
// 连衣+衣裙 and finds "夏季碎花连衣裙". Filters, facets and sorting stay with
// the caller, which holds the live product data (stock, sales, prices); the
// index only answers "which products match, how well".
//
// Index is not safe for concurrent use; the caller guards it.
package search

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	bleveunicode "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// Documents are indexed with CJK unigrams and bigrams, so a one-character
// query ("裙") still finds "连衣裙"; queries use bigrams only (a lone
// character stays a unigram), which keeps multi-character queries precise.
var (
	indexAnalyzer = analyzer(true)
	queryAnalyzer = analyzer(false)
)

func analyzer(unigrams bool) *analysis.DefaultAnalyzer {
	return &analysis.DefaultAnalyzer{
		Tokenizer:    bleveunicode.NewUnicodeTokenizer(),
		TokenFilters: []analysis.TokenFilter{cjk.NewCJKWidthFilter(), lowercase.NewLowerCaseFilter(), cjk.NewCJKBigramFilter(unigrams)},
	}
}

// Tokens is text analysed as a query: the terms a search looks up.
func Tokens(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range queryAnalyzer.Analyze([]byte(foldWidth(text))) {
		term := string(t.Term)
		if !seen[term] {
			seen[term] = true
			out = append(out, term)
		}
	}
	return out
}

// Field is a piece of a document's text with its weight in ranking.
type Field struct {
	Text   string
	Weight float32
}

type posting struct {
	doc int32
	tf  float32 // field-weighted term frequency
}

// Index maps terms to the documents containing them.
type Index struct {
	postings map[string][]posting
	ids      []string         // ordinal → id ("" once removed)
	ords     map[string]int32 // id → ordinal
	terms    [][]string       // ordinal → its terms, to remove postings
	length   []float32        // ordinal → weighted length
	title    []string         // ordinal → normalised title, for the phrase boost
	free     []int32          // removed ordinals to reuse
	total    float64          // sum of live lengths
	live     int
	pool     sync.Pool // of *accumulator
}

// New returns an empty index. The pinyin syllable table (some 60 ms to
// build) is prepared in the background, so the first Latin query rarely
// waits for it.
func New() *Index {
	go syllablesOnce.Do(loadSyllables)
	return &Index{postings: map[string][]posting{}, ords: map[string]int32{}}
}

// Len is the number of documents.
func (x *Index) Len() int { return x.live }

// foldWidth turns full-width ASCII (ｉＰｈｏｎｅ１５, common in Chinese input)
// into ASCII before segmentation, so it splits like the half-width form.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			return r - 0xFEE0
		}
		if r == 0x3000 {
			return ' '
		}
		return r
	}, s)
}

// normalise folds a string the way the analyser does, without splitting it,
// for substring checks.
func normalise(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		return unicode.ToLower(r)
	}, s)
}

// Put indexes a document, replacing any earlier version of it.
func (x *Index) Put(id, title string, fields ...Field) {
	x.Remove(id)
	tf := map[string]float32{}
	var length float32
	for _, f := range fields {
		for _, t := range indexAnalyzer.Analyze([]byte(foldWidth(f.Text))) {
			tf[string(t.Term)] += f.Weight
			length += f.Weight
		}
	}
	// The title's pinyin is indexed alongside but left out of the length, so
	// Chinese queries score exactly as without it.
	for _, term := range pinyinTerms(title) {
		tf[term] += pinyinWeight
	}
	var ord int32
	if n := len(x.free); n > 0 {
		ord, x.free = x.free[n-1], x.free[:n-1]
	} else {
		ord = int32(len(x.ids))
		x.ids, x.terms, x.length, x.title = append(x.ids, ""), append(x.terms, nil), append(x.length, 0), append(x.title, "")
	}
	terms := make([]string, 0, len(tf))
	for term, w := range tf {
		x.postings[term] = append(x.postings[term], posting{doc: ord, tf: w})
		terms = append(terms, term)
	}
	x.ids[ord], x.terms[ord], x.length[ord], x.title[ord] = id, terms, length, normalise(title)
	x.ords[id] = ord
	x.total += float64(length)
	x.live++
}

// Remove drops a document; unknown ids are ignored.
func (x *Index) Remove(id string) {
	ord, ok := x.ords[id]
	if !ok {
		return
	}
	for _, term := range x.terms[ord] {
		list := x.postings[term]
		for i, p := range list {
			if p.doc == ord {
				list[i] = list[len(list)-1]
				list = list[:len(list)-1]
				break
			}
		}
		if len(list) == 0 {
			delete(x.postings, term)
		} else {
			x.postings[term] = list
		}
	}
	x.total -= float64(x.length[ord])
	x.ids[ord], x.terms[ord], x.length[ord], x.title[ord] = "", nil, 0, ""
	delete(x.ords, id)
	x.free = append(x.free, ord)
	x.live--
}

// Hit is a matching document and how well it matches.
type Hit struct {
	ID    string
	Score float64
}

// BM25 parameters, the usual ones.
const (
	k1 = 1.2
	b  = 0.75
)

// Match returns the documents containing every query term, best first. When
// no document has them all, it falls back to the documents with the most
// terms (at least half of them), so "蓝色连衣裙" still shows dresses.
// A document whose title contains the whole query is ranked up.
//
// A query of Latin letters is also read as pinyin (see pinyinTerms): titles
// matching its full syllables follow the direct matches, ranked among
// themselves but always below them; initials ("lyq") are tried only when
// nothing else matched. A Chinese query is never read as pinyin.
func (x *Index) Match(query string) []Hit {
	if x.live == 0 {
		return nil
	}
	hits := x.match(Tokens(query), true, normalise(query))
	full, initials := pinyinQuery(query)
	if len(full) == 0 && len(initials) == 0 {
		return hits
	}
	py := x.match(full, false, "")
	if len(hits) == 0 && len(py) == 0 {
		return x.match(initials, false, "")
	}
	if len(py) == 0 {
		return hits
	}
	if len(hits) == 0 {
		return py
	}
	direct := make(map[string]bool, len(hits))
	for _, h := range hits {
		direct[h.ID] = true
	}
	// Scale pinyin scores under the weakest direct match, keeping their order.
	floor, top := hits[len(hits)-1].Score, py[0].Score
	for _, h := range py {
		if !direct[h.ID] {
			hits = append(hits, Hit{ID: h.ID, Score: floor * 0.9 * h.Score / top})
		}
	}
	return hits
}

// pinyinWeight is the term frequency of a pinyin bigram: below a title's
// words (3), as a spelled-out guess is a weaker signal.
const pinyinWeight = 1

// match scores the documents with the terms. With partial, documents with
// most of the terms (at least half) stand in when none has all of them.
// A document whose title contains phrase is ranked up.
func (x *Index) match(terms []string, partial bool, phrase string) []Hit {
	if len(terms) == 0 {
		return nil
	}
	n := float64(x.live)
	avg := x.total / n
	// Dense per-document accumulators instead of maps: a short query over a
	// common term touches thousands of postings.
	acc := x.scratch()
	defer x.release(acc)
	for _, term := range terms {
		list := x.postings[term]
		if len(list) == 0 {
			continue
		}
		idf := math.Log(1 + (n-float64(len(list))+0.5)/(float64(len(list))+0.5))
		for _, p := range list {
			tf := float64(p.tf)
			if acc.count[p.doc] == 0 {
				acc.touched = append(acc.touched, p.doc)
			}
			acc.score[p.doc] += idf * tf * (k1 + 1) / (tf + k1*(1-b+b*float64(x.length[p.doc])/avg))
			acc.count[p.doc]++
		}
	}
	best := 0
	for _, d := range acc.touched {
		best = max(best, int(acc.count[d]))
	}
	if best*2 < len(terms) || (!partial && best < len(terms)) {
		return nil
	}
	hits := make([]Hit, 0, len(acc.touched))
	for _, ord := range acc.touched {
		if int(acc.count[ord]) != best {
			continue
		}
		s := acc.score[ord]
		if len(terms) > 1 && phrase != "" && strings.Contains(x.title[ord], phrase) {
			s *= 1.5
		}
		hits = append(hits, Hit{ID: x.ids[ord], Score: s})
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if a.Score != b.Score {
			return cmp.Compare(b.Score, a.Score)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return hits
}

// accumulator is one query's per-document scores; count caps at 255 terms,
// far above the query length limit.
type accumulator struct {
	score   []float64
	count   []uint8
	touched []int32
}

// scratch takes an accumulator sized for the index. Match runs under the
// caller's read lock, possibly many at once, so accumulators come from a
// pool rather than living in the index.
func (x *Index) scratch() *accumulator {
	a, _ := x.pool.Get().(*accumulator)
	if a == nil {
		a = &accumulator{}
	}
	if n := len(x.ids); len(a.score) < n {
		a.score, a.count = make([]float64, n), make([]uint8, n)
	}
	return a
}

func (x *Index) release(a *accumulator) {
	for _, d := range a.touched {
		a.score[d], a.count[d] = 0, 0
	}
	a.touched = a.touched[:0]
	x.pool.Put(a)
}
