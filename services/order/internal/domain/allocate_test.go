package domain

import (
	"math/rand/v2"
	"testing"
)

func TestAllocateTable(t *testing.T) {
	cases := []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{10, []int64{1, 1, 1}, []int64{4, 3, 3}},
		{1, []int64{1, 1, 1}, []int64{1, 0, 0}},
		{100, []int64{5000, 3000, 2000}, []int64{50, 30, 20}},
		{7, []int64{0, 10}, []int64{0, 7}},
		{0, []int64{3, 4}, []int64{0, 0}},
		{5, []int64{0, 0}, []int64{0, 0}},
		{2, []int64{1, 2}, []int64{1, 1}}, // 0.667 and 1.333: remainder goes to the first
		{-3, []int64{1, 2}, []int64{0, 0}},
	}
	for _, c := range cases {
		got := Allocate(c.total, c.weights)
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Allocate(%d, %v) = %v, want %v", c.total, c.weights, got, c.want)
				break
			}
		}
	}
}

// The rounding property: across any lines, the shares add up to the total
// exactly, none is more than a fen from its exact proportion, and none
// exceeds its line.
func TestAllocateNeverLosesOrInventsAFen(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		lines := 1 + r.IntN(30)
		w := make([]int64, lines)
		var sum int64
		for i := range w {
			switch r.IntN(4) {
			case 0:
				w[i] = 0
			case 1:
				w[i] = r.Int64N(10)
			default:
				w[i] = r.Int64N(10_000_000)
			}
			sum += w[i]
		}
		total := r.Int64N(sum + 1)
		got := Allocate(total, w)
		var s int64
		for i, g := range got {
			s += g
			if g < 0 || g > w[i] {
				t.Fatalf("share %d of line %d (weight %d) out of range: %v %v", g, i, w[i], total, w)
			}
			// |g - total*w/sum| < 1  ⇔  |g*sum - total*w| < sum
			exact := float64(total) * float64(w[i]) / float64(sum)
			if d := float64(g) - exact; d <= -1 || d >= 1 {
				t.Fatalf("share %d of line %d is a fen or more from %f", g, i, exact)
			}
		}
		if sum > 0 && s != total {
			t.Fatalf("shares add to %d, not %d: %v of %v", s, total, got, w)
		}
	}
}

// Prices through the whole chain add up line by line to the order.
func TestPricingLinesAddUp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 3000; n++ {
		var lines []PricingLine
		for i := 0; i < 1+r.IntN(8); i++ {
			lines = append(lines, PricingLine{SKUID: string(rune('a' + i)), Quantity: 1 + r.Int64N(5), UnitPriceFen: r.Int64N(50000)})
		}
		p, err := Price(lines, "", LevelDiscount{Permille: r.Int64N(200)},
			ApplyPromotions{Discounts: []PromotionDiscount{{Kind: "coupon", ID: "c", AmountFen: r.Int64N(3000)}}},
			PointsDeduction{Requested: r.Int64N(20000), Balance: 20000, Rule: PointsRule{PointsPerYuan: 1 + r.Int64N(300), MaxSharePermille: r.Int64N(1001)}},
			Shipping{Rule: DefaultShippingRule})
		if err != nil {
			t.Fatal(err)
		}
		var payable int64
		for _, l := range p.Lines {
			var d int64
			for _, v := range l.Discounts {
				d += v
			}
			if l.PayableFen < 0 || l.SubtotalFen-d != l.PayableFen {
				t.Fatalf("line %+v does not add up", l)
			}
			payable += l.PayableFen
		}
		discounts := p.DiscountFen(SourceMemberLevel) + p.DiscountFen("coupon") + p.DiscountFen(SourcePoints)
		if p.GoodsFen()-discounts != payable || p.TotalFen() != payable+p.ShippingFen {
			t.Fatalf("order does not add up: goods %d discounts %d payable %d", p.GoodsFen(), discounts, payable)
		}
	}
}

// Refunding an order in any steps returns exactly what it paid.
func TestRefundsAddUpToWhatWasPaid(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 2000; n++ {
		o := Order{Status: StatusPaid, ShippingFen: r.Int64N(2000)}
		total := o.ShippingFen
		for i := range 1 + r.IntN(5) {
			q, fen := 1+r.Int64N(6), r.Int64N(100000)
			o.Lines = append(o.Lines, OrderLine{LineID: string(rune('a' + i)), PricedLine: PricedLine{PricingLine: PricingLine{Quantity: q}, PayableFen: fen}})
			total += fen
		}
		var back int64
		for step := 0; o.Status == StatusPaid; step++ {
			want := map[string]int64{}
			for _, l := range o.Lines {
				if left := l.Quantity - l.RefundedQty; left > 0 && r.IntN(2) == 0 {
					want[l.LineID] = 1 + r.Int64N(left)
				}
			}
			if len(want) == 0 || step > 20 {
				want = nil
			}
			rf, err := o.PlanRefund(string(rune('A'+step)), want, "", false)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.ApplyRefund(rf, now, DefaultTiming); err != nil {
				t.Fatal(err)
			}
			back += rf.Fen
		}
		if back != total || o.RefundFen != total {
			t.Fatalf("refunded %d of %d", back, total)
		}
	}
}
