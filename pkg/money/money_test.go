package money

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
