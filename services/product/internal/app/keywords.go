package app

import (
	"context"
	"siyu.dev/pkg/fault"
	"slices"

	"siyu.dev/services/product/internal/domain"
)

// hotLoad is how many of the top keywords an instance holds after a reload:
// enough for the hot list and for suggestions to complete from, bounded
// however many distinct queries shoppers type.
const hotLoad = 1000

// keywordRetention is how many days of counts the database keeps.
const keywordRetention = 30

// searched hands one search to the events, or without them counts it here.
func (s *Service) searched(ctx context.Context, memberID, client, query string, results int) {
	kw := domain.Keyword(query)
	if kw == "" {
		return
	}
	now := s.clk.Now()
	if s.searchEvents != nil {
		s.searchEvents.Searched(ctx, domain.Searched{EventID: newID("ev"), At: now, Query: kw, MemberID: memberID, Client: client, Results: results})
		return
	}
	if s.mayBeHot(kw, results) && s.hot.firstToday(domain.KeywordDay(now), kw, client) {
		s.hot.record(kw)
	}
}

// mayBeHot says whether a search can count toward the public hot list: it
// found something, it is made of the catalogue's own words (titles,
// category names), and operators have not blocked it. The public lists
// never repeat what a stranger typed.
func (s *Service) mayBeHot(kw string, results int) bool {
	return results > 0 && s.catalog.knownWords(kw) && !s.hot.blocked(kw)
}

// CountSearch counts one product.searched event on its Shanghai day, once
// per event id. Searches that found nothing are not hot keywords. The
// instance that counts it also shows it at once; the others see it at their
// next reload.
func (s *Service) CountSearch(ctx context.Context, e domain.Searched) error {
	if e.EventID == "" {
		return fault.New(domain.KindInvalid, "EVENT_ID_REQUIRED", "a search event needs an event id")
	}
	kw := domain.Keyword(e.Query)
	if kw == "" || s.keywords == nil || !s.mayBeHot(kw, e.Results) {
		return nil
	}
	client := e.Client
	if client == "" {
		client = "event:" + e.EventID
	}
	fresh, err := s.keywords.CountSearch(ctx, client, kw, domain.KeywordDay(e.At))
	if err != nil {
		return err
	}
	if fresh {
		s.hot.record(kw)
	}
	return nil
}

// loadHotKeywords replaces this instance's hot keywords with the top ones
// of the HotKeywordWindow, as counted by every instance.
func (s *Service) loadHotKeywords(ctx context.Context) error {
	// Today and the six days before it.
	top, err := s.keywords.TopKeywords(ctx, domain.KeywordDay(s.clk.Now().AddDate(0, 0, -(domain.HotKeywordDays-1))), hotLoad)
	if err != nil {
		return err
	}
	blocked, err := s.keywords.BlockedKeywords(ctx)
	if err != nil {
		return err
	}
	s.hot.replace(top, blocked)
	return nil
}

// normalKeyword is the keyword an operator names, as shoppers' searches
// are stored.
func normalKeyword(q string) (string, error) {
	kw := domain.Keyword(q)
	if kw == "" || len(kw) > 100 {
		return "", domain.ErrKeywordInvalid
	}
	return kw, nil
}

// BlockKeyword keeps a keyword off the hot list and the suggestions (and
// forgets its counts); other instances follow at their next reload.
func (s *Service) BlockKeyword(ctx context.Context, keyword string) error {
	kw, err := normalKeyword(keyword)
	if err != nil {
		return err
	}
	if s.keywords != nil {
		blocked, err := s.keywords.BlockedKeywords(ctx)
		if err != nil {
			return err
		}
		if len(blocked) >= domain.MaxBlockedKeywords {
			return domain.ErrTooManyBlockedKeywords
		}
		if err := s.keywords.BlockKeyword(ctx, kw); err != nil {
			return err
		}
		if err := s.keywords.DeleteKeyword(ctx, kw); err != nil {
			return err
		}
	}
	s.hot.block(kw, true)
	return nil
}

// UnblockKeyword lets a keyword count again.
func (s *Service) UnblockKeyword(ctx context.Context, keyword string) error {
	kw, err := normalKeyword(keyword)
	if err != nil {
		return err
	}
	if s.keywords != nil {
		if err := s.keywords.UnblockKeyword(ctx, kw); err != nil {
			return err
		}
	}
	s.hot.block(kw, false)
	return nil
}

// BlockedKeywords lists the block list.
func (s *Service) BlockedKeywords(ctx context.Context) ([]string, error) {
	if s.keywords != nil {
		return s.keywords.BlockedKeywords(ctx)
	}
	return s.hot.blockList(), nil
}

// RemoveHotKeyword drops a keyword's counts without blocking it.
func (s *Service) RemoveHotKeyword(ctx context.Context, keyword string) error {
	kw, err := normalKeyword(keyword)
	if err != nil {
		return err
	}
	if s.keywords != nil {
		if err := s.keywords.DeleteKeyword(ctx, kw); err != nil {
			return err
		}
	}
	s.hot.forget(kw)
	return nil
}

// refreshHotKeywords reloads the hot keywords and prunes old days.
func (s *Service) refreshHotKeywords(ctx context.Context) error {
	if err := s.loadHotKeywords(ctx); err != nil {
		return err
	}
	// Every instance prunes; the deletes are idempotent. Ids of the day
	// before yesterday and earlier can go: redeliveries come within minutes.
	now := s.clk.Now()
	return s.keywords.PruneKeywords(ctx, domain.KeywordDay(now.AddDate(0, 0, -keywordRetention)), domain.KeywordDay(now.AddDate(0, 0, -2)))
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
