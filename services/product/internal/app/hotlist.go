package app

import (
	"slices"
	"sort"
	"sync"

	"siyu.dev/services/product/internal/domain"
)

// hotKeywords counts searched keywords in this instance. It is bounded:
// past maxHot keywords the rarer half is forgotten.
type hotKeywords struct {
	mu     sync.Mutex
	counts map[string]int64
	// blocks are the operators' block list.
	blocks map[string]bool
	// seen are the keyword and client pairs counted today (without events).
	seen    map[string]bool
	seenDay string
}

const (
	maxHot  = 10000
	maxSeen = 100000
)

func (h *hotKeywords) record(q string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.counts == nil {
		h.counts = map[string]int64{}
	}
	h.counts[q]++
	if len(h.counts) > maxHot {
		top := h.topLocked(maxHot / 2)
		h.counts = make(map[string]int64, len(top))
		for _, k := range top {
			h.counts[k.Keyword] = k.Count
		}
	}
}

// HotKeyword is a keyword and how often it was searched.
type HotKeyword struct {
	Keyword string
	Count   int64
}

func (h *hotKeywords) top(n int) []HotKeyword {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.topLocked(n)
}

func (h *hotKeywords) topLocked(n int) []HotKeyword {
	out := make([]HotKeyword, 0, len(h.counts))
	for k, c := range h.counts {
		if !h.blocks[k] {
			out = append(out, HotKeyword{k, c})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Keyword < out[j].Keyword
	})
	return out[:min(n, len(out))]
}

func (h *hotKeywords) replace(top []domain.KeywordCount, blocked []string) {
	counts := make(map[string]int64, len(top))
	for _, k := range top {
		counts[k.Keyword] = k.Count
	}
	blocks := make(map[string]bool, len(blocked))
	for _, k := range blocked {
		blocks[k] = true
	}
	h.mu.Lock()
	h.counts, h.blocks = counts, blocks
	h.mu.Unlock()
}

func (h *hotKeywords) blocked(kw string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.blocks[kw]
}

func (h *hotKeywords) block(kw string, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.blocks == nil {
		h.blocks = map[string]bool{}
	}
	if on {
		h.blocks[kw] = true
		delete(h.counts, kw)
	} else {
		delete(h.blocks, kw)
	}
}

func (h *hotKeywords) blockList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.blocks))
	for k := range h.blocks {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (h *hotKeywords) forget(kw string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.counts, kw)
}

// firstToday reports whether client searches kw for the first time on day
// in this instance (used without search events). The set is bounded: it
// starts over each day and when it grows past maxSeen.
func (h *hotKeywords) firstToday(day, kw, client string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seenDay != day || len(h.seen) > maxSeen {
		h.seenDay, h.seen = day, map[string]bool{}
	}
	key := kw + "\x00" + client
	if h.seen[key] {
		return false
	}
	h.seen[key] = true
	return true
}
