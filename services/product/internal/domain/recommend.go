package domain

import (
	"context"
	"math"
	"sort"
	"time"
)

// Recommendation tuning. The weights were chosen on the offline evaluation
// (recommend_eval_test.go), not on production traffic.
const (
	// Profile and co-occurrence windows: the latest purchases and views of
	// a member that count.
	recentPurchases = 30
	recentViews     = 30
	// A pair bought in one order counts fully; bought by one member in
	// different orders, it counts this much.
	crossOrderWeight = 0.5
	// Views say less than purchases.
	viewWeight = 0.4
	// Recent signals count more: each older purchase or view counts this
	// fraction of the next newer one.
	recencyDecay = 0.85
	// Hot scores halve every week.
	hotHalfLife = 7 * 24 * time.Hour
)

// PurchaseLine is a product in a paid (or refunded) order.
type PurchaseLine struct {
	ProductID  string
	CategoryID string
	Quantity   int64
}

// Purchase is a paid order, or with Refund set a refund of some of its lines.
type Purchase struct {
	ID       string // unique per fact: "paid:<order>" or "refund:<order>:<refund>"
	OrderID  string
	MemberID string
	At       time.Time
	Lines    []PurchaseLine
	Refund   bool
}

// View is a member looking at a product.
type View struct {
	MemberID   string
	ProductID  string
	CategoryID string
	At         time.Time
}

// Scored is a recommended product.
type Scored struct {
	ProductID string
	Score     float64
	Reason    string
	Sales     int64
}

type signal struct {
	product, category string
	at                time.Time
}

type profile struct {
	purchases, views []signal // newest last
}

// RecModel is the recommender's state: co-purchase and co-view counts,
// sales and decayed "hot" scores, and each member's recent signals. It is
// rebuilt from stored facts at startup and kept in memory; it is not safe
// for concurrent use (the app layer locks it).
type RecModel struct {
	coBuy, coView   map[string]map[string]float64
	buyOcc, viewOcc map[string]float64
	sales           map[string]int64
	hot             map[string]float64
	category        map[string]string
	members         map[string]*profile
	epoch           time.Time
}

// NewRecModel starts an empty model; epoch anchors the hot scores (any
// time near the events works).
func NewRecModel(epoch time.Time) *RecModel {
	return &RecModel{coBuy: map[string]map[string]float64{}, coView: map[string]map[string]float64{},
		buyOcc: map[string]float64{}, viewOcc: map[string]float64{}, sales: map[string]int64{}, hot: map[string]float64{},
		category: map[string]string{}, members: map[string]*profile{}, epoch: epoch}
}

func addPair(m map[string]map[string]float64, a, b string, w float64) {
	if a == b {
		return
	}
	for _, p := range [2][2]string{{a, b}, {b, a}} {
		row := m[p[0]]
		if row == nil {
			row = map[string]float64{}
			m[p[0]] = row
		}
		row[p[1]] += w
	}
}

func (m *RecModel) member(id string) *profile {
	p := m.members[id]
	if p == nil {
		p = &profile{}
		m.members[id] = p
	}
	return p
}

// hotWeight grows exponentially with time, so older sales weigh less
// relative to newer ones without rewriting stored scores.
func (m *RecModel) hotWeight(at time.Time) float64 {
	return math.Exp2(float64(at.Sub(m.epoch)) / float64(hotHalfLife))
}

// AddPurchase applies a paid order or a refund. Callers apply each fact once.
func (m *RecModel) AddPurchase(p Purchase) {
	sign := int64(1)
	if p.Refund {
		sign = -1
	}
	for _, l := range p.Lines {
		if l.CategoryID != "" {
			m.category[l.ProductID] = l.CategoryID
		}
		m.sales[l.ProductID] += sign * l.Quantity
		m.hot[l.ProductID] += float64(sign*l.Quantity) * m.hotWeight(p.At)
	}
	// Refunds take back sales, not the evidence that things go together.
	if p.Refund || p.MemberID == "" {
		return
	}
	seen := map[string]bool{}
	var lines []PurchaseLine
	for _, l := range p.Lines {
		if !seen[l.ProductID] {
			seen[l.ProductID] = true
			lines = append(lines, l)
		}
	}
	for i := range lines {
		m.buyOcc[lines[i].ProductID]++
		for j := i + 1; j < len(lines); j++ {
			addPair(m.coBuy, lines[i].ProductID, lines[j].ProductID, 1)
		}
	}
	prof := m.member(p.MemberID)
	for _, l := range lines {
		for _, old := range prof.purchases {
			addPair(m.coBuy, l.ProductID, old.product, crossOrderWeight)
		}
	}
	for _, l := range lines {
		prof.purchases = append(prof.purchases, signal{product: l.ProductID, category: l.CategoryID, at: p.At})
	}
	if n := len(prof.purchases); n > recentPurchases {
		prof.purchases = append([]signal(nil), prof.purchases[n-recentPurchases:]...)
	}
}

// AddView applies one view.
func (m *RecModel) AddView(v View) {
	if v.CategoryID != "" {
		m.category[v.ProductID] = v.CategoryID
	}
	prof := m.member(v.MemberID)
	if n := len(prof.views); n > 0 && prof.views[n-1].product == v.ProductID {
		prof.views[n-1].at = v.At // a reload is not a second view
		return
	}
	m.viewOcc[v.ProductID]++
	seen := map[string]bool{v.ProductID: true}
	for _, old := range prof.views {
		if !seen[old.product] {
			seen[old.product] = true
			addPair(m.coView, v.ProductID, old.product, 1)
		}
	}
	prof.views = append(prof.views, signal{product: v.ProductID, category: v.CategoryID, at: v.At})
	if n := len(prof.views); n > recentViews {
		prof.views = append([]signal(nil), prof.views[n-recentViews:]...)
	}
}

// Sales is a product's units sold, net of refunds.
func (m *RecModel) Sales(productID string) int64 { return m.sales[productID] }

// Category is the category last seen for a product.
func (m *RecModel) Category(productID string) string { return m.category[productID] }

// similar adds to scores the neighbours of product, cosine-normalised so
// that a best-seller is not everyone's neighbour.
func similar(co map[string]map[string]float64, occ map[string]float64, product string, weight float64, scores map[string]float64) {
	np := math.Max(occ[product], 1)
	for q, c := range co[product] {
		scores[q] += weight * c / math.Sqrt(np*math.Max(occ[q], 1))
	}
}

type candidates struct {
	score  map[string]float64
	reason map[string]string
	best   map[string]float64
}

func newCandidates() *candidates {
	return &candidates{score: map[string]float64{}, reason: map[string]string{}, best: map[string]float64{}}
}

// add records a contribution; the reason is the largest contributor.
func (c *candidates) add(scores map[string]float64, reason string) {
	for p, s := range scores {
		c.score[p] += s
		if s > c.best[p] {
			c.best[p], c.reason[p] = s, reason
		}
	}
}

// top returns the n best accepted candidates, ties by sales then id.
func (m *RecModel) top(c *candidates, n int, exclude map[string]bool, accept func(string) bool) []Scored {
	out := make([]Scored, 0, len(c.score))
	for p, s := range c.score {
		if s > 0 && !exclude[p] {
			out = append(out, Scored{ProductID: p, Score: s, Reason: c.reason[p], Sales: m.sales[p]})
		}
	}
	sortScored(out)
	res := make([]Scored, 0, n)
	for _, s := range out {
		if len(res) == n {
			break
		}
		if accept == nil || accept(s.ProductID) {
			res = append(res, s)
		}
	}
	return res
}

func sortScored(s []Scored) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Score != s[j].Score {
			return s[i].Score > s[j].Score
		}
		if s[i].Sales != s[j].Sales {
			return s[i].Sales > s[j].Sales
		}
		return s[i].ProductID < s[j].ProductID
	})
}

// Hot ranks products by decayed recent sales, in one category or all
// ("" category). Products without positive sales are not hot.
func (m *RecModel) Hot(category string, n int, exclude map[string]bool, accept func(string) bool) []Scored {
	c := newCandidates()
	scores := map[string]float64{}
	for p, h := range m.hot {
		if h > 0 && (category == "" || m.category[p] == category) {
			scores[p] = h
		}
	}
	c.add(scores, "popular")
	return m.top(c, n, exclude, accept)
}

// Related is what goes with a product: bought together, then viewed
// together, then popular in its category.
func (m *RecModel) Related(productID string, n int, accept func(string) bool) []Scored {
	c := newCandidates()
	buy, view := map[string]float64{}, map[string]float64{}
	similar(m.coBuy, m.buyOcc, productID, 1, buy)
	similar(m.coView, m.viewOcc, productID, viewWeight, view)
	c.add(buy, "co_purchase")
	c.add(view, "co_view")
	exclude := map[string]bool{productID: true}
	out := m.top(c, n, exclude, accept)
	return m.fill(out, m.Category(productID), n, exclude, accept)
}

// fill tops up a list with popular products of category, then of all.
func (m *RecModel) fill(out []Scored, category string, n int, exclude map[string]bool, accept func(string) bool) []Scored {
	if len(out) >= n {
		return out
	}
	have := map[string]bool{}
	for p := range exclude {
		have[p] = true
	}
	for _, s := range out {
		have[s.ProductID] = true
	}
	cats := []string{category}
	if category != "" {
		cats = append(cats, "")
	}
	for _, cat := range cats {
		if len(out) >= n {
			break
		}
		for _, s := range m.Hot(cat, n-len(out), have, accept) {
			// Fillers rank below every real recommendation.
			s.Score = 0
			out = append(out, s)
			have[s.ProductID] = true
		}
	}
	return out
}

// ForYou recommends for a member: neighbours of what they bought and
// viewed recently, plus what sells in the categories they lean to. A
// member with no signals gets the hot list. Products the member bought
// recently are left out.
func (m *RecModel) ForYou(memberID string, n int, accept func(string) bool) []Scored {
	prof := m.members[memberID]
	if prof == nil || len(prof.purchases)+len(prof.views) == 0 {
		return m.Hot("", n, nil, accept)
	}
	affinity := map[string]float64{}
	cf, cv := map[string]float64{}, map[string]float64{}
	bought := map[string]bool{}
	w := 1.0
	for i := len(prof.purchases) - 1; i >= 0; i-- {
		s := prof.purchases[i]
		bought[s.product] = true
		similar(m.coBuy, m.buyOcc, s.product, w, cf)
		affinity[m.categoryOf(s)] += w
		w *= recencyDecay
	}
	w = viewWeight
	for i := len(prof.views) - 1; i >= 0; i-- {
		s := prof.views[i]
		similar(m.coView, m.viewOcc, s.product, w, cv)
		affinity[m.categoryOf(s)] += w
		w *= recencyDecay
	}
	c := newCandidates()
	c.add(normalise(cf), "co_purchase")
	c.add(normalise(cv), "co_view")
	c.add(m.categoryScores(affinity), "category")
	out := m.top(c, n, bought, accept)
	return m.fill(out, "", n, bought, accept)
}

func (m *RecModel) categoryOf(s signal) string {
	if s.category != "" {
		return s.category
	}
	return m.category[s.product]
}

// categoryScores spreads each category's share of the member's affinity
// over its products by their share of the category's hot score.
func (m *RecModel) categoryScores(affinity map[string]float64) map[string]float64 {
	var total float64
	for c, a := range affinity {
		if c != "" {
			total += a
		}
	}
	out := map[string]float64{}
	if total == 0 {
		return out
	}
	best := map[string]float64{}
	for p, h := range m.hot {
		if c := m.category[p]; h > 0 && affinity[c] > 0 && h > best[c] {
			best[c] = h
		}
	}
	for p, h := range m.hot {
		c := m.category[p]
		if h <= 0 || affinity[c] == 0 || c == "" {
			continue
		}
		out[p] = affinity[c] / total * h / best[c]
	}
	return out
}

// normalise scales scores so the largest is 1, so that signals of
// different kinds add up on one scale.
func normalise(s map[string]float64) map[string]float64 {
	var max float64
	for _, v := range s {
		max = math.Max(max, v)
	}
	if max == 0 {
		return s
	}
	for k, v := range s {
		s[k] = v / max
	}
	return s
}

// RecRepository stores the facts the recommender learns from.
type RecRepository interface {
	// AddPurchase stores a fact once; fresh is false when it was stored before.
	AddPurchase(ctx context.Context, p Purchase) (fresh bool, err error)
	AddView(ctx context.Context, v View) error
	// Purchases and Views return the stored facts, oldest first.
	Purchases(ctx context.Context) ([]Purchase, error)
	Views(ctx context.Context) ([]View, error)
}
