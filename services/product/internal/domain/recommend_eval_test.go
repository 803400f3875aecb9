package domain_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"siyu.dev/services/product/internal/domain"
)

// evalData is a generated shop with planted preferences: every member
// leans to two categories, products sell by a Zipf law inside their
// category, and products come in complementary pairs often bought
// together. Each member's last order is held out.
type evalData struct {
	train   []domain.Purchase
	views   []domain.View
	heldOut map[string]string // member -> product of their last order
}

func generate(seed uint64) evalData {
	const (
		categories = 20
		perCat     = 25
		members    = 800
	)
	r := rand.New(rand.NewPCG(seed, 7))
	prod := func(c, i int) string { return fmt.Sprintf("p-%02d-%02d", c, i) }
	cat := func(c int) string { return fmt.Sprintf("c-%02d", c) }
	// Zipf weights inside a category.
	weights := make([]float64, perCat)
	var wsum float64
	for i := range weights {
		weights[i] = 1 / math.Pow(float64(i+1), 0.9)
		wsum += weights[i]
	}
	pick := func() int {
		x := r.Float64() * wsum
		for i, w := range weights {
			if x -= w; x <= 0 {
				return i
			}
		}
		return perCat - 1
	}
	// Some categories are bigger overall, so global popularity is a real
	// baseline, not a strawman.
	catWeight := make([]float64, categories)
	var cwsum float64
	for c := range catWeight {
		catWeight[c] = 1 / math.Pow(float64(c+1), 0.6)
		cwsum += catWeight[c]
	}
	pickCat := func() int {
		x := r.Float64() * cwsum
		for c, w := range catWeight {
			if x -= w; x <= 0 {
				return c
			}
		}
		return categories - 1
	}
	d := evalData{heldOut: map[string]string{}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for m := 0; m < members; m++ {
		member := fmt.Sprintf("m-%03d", m)
		fav := [2]int{pickCat(), pickCat()}
		orders := 4 + r.IntN(8)
		at := start.Add(time.Duration(r.IntN(48)) * time.Hour)
		for o := 0; o < orders; o++ {
			c := fav[r.IntN(2)]
			if r.Float64() < 0.2 { // off-profile purchases
				c = pickCat()
			}
			i := pick()
			lines := []domain.PurchaseLine{{ProductID: prod(c, i), CategoryID: cat(c), Quantity: 1}}
			if r.Float64() < 0.4 { // its complement
				lines = append(lines, domain.PurchaseLine{ProductID: prod(c, i^1), CategoryID: cat(c), Quantity: 1})
			}
			at = at.Add(time.Duration(1+r.IntN(72)) * time.Hour)
			if o == orders-1 {
				d.heldOut[member] = lines[0].ProductID
				break
			}
			d.train = append(d.train, domain.Purchase{ID: fmt.Sprintf("paid:%s-%d", member, o), OrderID: fmt.Sprintf("%s-%d", member, o), MemberID: member, At: at, Lines: lines})
			// Browsing before buying, mostly in the favourite categories.
			for v := 0; v < 2; v++ {
				vc := fav[r.IntN(2)]
				d.views = append(d.views, domain.View{MemberID: member, ProductID: prod(vc, pick()), CategoryID: cat(vc), At: at.Add(-time.Minute)})
			}
		}
	}
	sort.SliceStable(d.train, func(i, j int) bool { return d.train[i].At.Before(d.train[j].At) })
	return d
}

// TestRecommenderBeatsPopularBaseline is the offline evaluation: hit-rate@10
// of "for you" against the global best-sellers (both leave out what the
// member already bought) on the held-out last order.
func TestRecommenderBeatsPopularBaseline(t *testing.T) {
	d := generate(42)
	m := domain.NewRecModel(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	bought := map[string]map[string]bool{}
	for _, p := range d.train {
		m.AddPurchase(p)
		if bought[p.MemberID] == nil {
			bought[p.MemberID] = map[string]bool{}
		}
		for _, l := range p.Lines {
			bought[p.MemberID][l.ProductID] = true
		}
	}
	for _, v := range d.views {
		m.AddView(v)
	}
	var hitsOurs, hitsBase, n int
	for member, want := range d.heldOut {
		n++
		for _, s := range m.ForYou(member, 10, nil) {
			if s.ProductID == want {
				hitsOurs++
			}
		}
		for _, s := range m.Hot("", 10, bought[member], nil) {
			if s.ProductID == want {
				hitsBase++
			}
		}
	}
	ours, base := float64(hitsOurs)/float64(n), float64(hitsBase)/float64(n)
	t.Logf("offline evaluation, %d members, held-out last order: hit-rate@10 for-you %.3f, popular baseline %.3f (%.1fx)", n, ours, base, ours/base)
	fmt.Printf("recommendation hit-rate@10: for-you %.3f vs popular baseline %.3f over %d members\n", ours, base, n)
	if ours <= base*1.3 {
		t.Errorf("for-you hit-rate@10 %.3f does not clearly beat the popular baseline %.3f", ours, base)
	}
}
