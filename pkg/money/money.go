// Package money holds the arithmetic of integer fen shared by the services:
// splitting an amount across lines without losing or inventing a fen, and
// proportions without overflow.
package money

import (
	"math/bits"
	"sort"
)

// Allocate splits total fen across lines in proportion to weights, so that
// the shares add up to total exactly: each line gets the floor of its exact
// share, and the fen left over go one each to the lines with the largest
// remainders (ties to the earlier line). No fen is lost or invented, and no
// share is further than one fen from its exact proportion. A share never
// exceeds its weight when total ≤ the sum of the weights. Weights must not be
// negative; with a zero sum or a total below one fen everything is zero.
func Allocate(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum <= 0 || total <= 0 {
		return out
	}
	type rem struct {
		i int
		r int64
	}
	rems := make([]rem, len(weights))
	var given int64
	for i, w := range weights {
		q, r := MulDiv(total, w, sum)
		out[i] = q
		given += q
		rems[i] = rem{i, r}
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for k := int64(0); k < total-given; k++ {
		out[rems[k].i]++
	}
	return out
}

// MulDiv is a*b/c with its remainder through a 128-bit product, for
// non-negative operands with b ≤ c (so the quotient fits in 64 bits).
func MulDiv(a, b, c int64) (q, r int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	qq, rr := bits.Div64(hi, lo, uint64(c))
	return int64(qq), int64(rr)
}
