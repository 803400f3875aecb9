package app

import (
	"context"

	"siyu.dev/services/product/internal/domain"
)

// hotLoad is how many of the top keywords an instance holds after a reload:
// enough for the hot list and for suggestions to complete from, bounded
// however many distinct queries shoppers type.
const hotLoad = 1000

// keywordRetention is how many days of counts the database keeps.
const keywordRetention = 30

// UseSearchEvents sends every first-page keyword search to ev instead of
// counting it in this instance.
func (s *Service) UseSearchEvents(ev domain.SearchEvents) { s.searchEvents = ev }

// UseKeywords shares hot keywords through r: CountSearch stores the counts,
// and Load and RefreshCounters read the top ones back. Call it before Load.
func (s *Service) UseKeywords(r domain.KeywordRepository) { s.keywords = r }

// searched hands one search to the events, or without them counts it here
// when it found something.
func (s *Service) searched(ctx context.Context, memberID, query string, results int) {
	kw := domain.Keyword(query)
	if kw == "" {
		return
	}
	if s.searchEvents != nil {
		s.searchEvents.Searched(ctx, domain.Searched{EventID: newID("ev"), At: s.clk.Now(), Query: kw, MemberID: memberID, Results: results})
		return
	}
	if results > 0 {
		s.hot.record(kw)
	}
}

// CountSearch counts one product.searched event on its Shanghai day, once
// per event id. Searches that found nothing are not hot keywords. The
// instance that counts it also shows it at once; the others see it at their
// next reload.
func (s *Service) CountSearch(ctx context.Context, e domain.Searched) error {
	if e.EventID == "" {
		return &domain.Error{Kind: domain.KindInvalid, Reason: "EVENT_ID_REQUIRED", Msg: "a search event needs an event id"}
	}
	kw := domain.Keyword(e.Query)
	if kw == "" || e.Results <= 0 || s.keywords == nil {
		return nil
	}
	fresh, err := s.keywords.CountSearch(ctx, e.EventID, kw, domain.KeywordDay(e.At))
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
	s.hot.replace(top)
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

func (h *hotKeywords) replace(top []domain.KeywordCount) {
	counts := make(map[string]int64, len(top))
	for _, k := range top {
		counts[k.Keyword] = k.Count
	}
	h.mu.Lock()
	h.counts = counts
	h.mu.Unlock()
}
