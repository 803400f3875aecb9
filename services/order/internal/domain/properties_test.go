package domain

import (
	"math/rand/v2"
	"testing"
)

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
