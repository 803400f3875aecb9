package app

import (
	"context"
	"sort"
	"strings"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/pkg/pagetoken"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/readmodel"
)

// Keywords are the hot keywords shoppers search, the suggestions that
// complete a prefix, and the operators' block list. Searches are counted
// once per client and Shanghai day, in the store by the product.searched
// consumer (CountSearch) or, without search events, in this instance.
type Keywords struct {
	model *readmodel.Model
	// store keeps counts and the block list for every instance; nil keeps
	// them in this instance only.
	store domain.KeywordRepository
	// events publishes searches for the consumer to count; nil counts them here.
	events domain.SearchEvents
	clk    clock.Clock
	hot    hotKeywords
}

// NewKeywords builds the keyword use cases; store and events may be nil.
func NewKeywords(model *readmodel.Model, store domain.KeywordRepository, events domain.SearchEvents, clk clock.Clock) *Keywords {
	return &Keywords{model: model, store: store, events: events, clk: clk}
}

// hotLoad is how many of the top keywords an instance holds after a reload:
// enough for the hot list and for suggestions to complete from, bounded
// however many distinct queries shoppers type.
const hotLoad = 1000

// keywordRetention is how many days of counts the database keeps.
const keywordRetention = 30

// Searched hands one search to the events, or without them counts it here.
func (s *Keywords) Searched(ctx context.Context, memberID, client, query string, results int) {
	kw := domain.Keyword(query)
	if kw == "" {
		return
	}
	now := s.clk.Now()
	if s.events != nil {
		s.events.Searched(ctx, domain.Searched{EventID: newID("ev"), At: now, Query: kw, MemberID: memberID, Client: client, Results: results})
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
func (s *Keywords) mayBeHot(kw string, results int) bool {
	return results > 0 && s.model.KnownWords(kw) && !s.hot.blocked(kw)
}

// CountSearch counts one product.searched event on its Shanghai day, once
// per event id. Searches that found nothing are not hot keywords. The
// instance that counts it also shows it at once; the others see it at their
// next reload.
func (s *Keywords) CountSearch(ctx context.Context, e domain.Searched) error {
	if e.EventID == "" {
		return fault.New(domain.KindInvalid, "EVENT_ID_REQUIRED", "a search event needs an event id")
	}
	kw := domain.Keyword(e.Query)
	if kw == "" || s.store == nil || !s.mayBeHot(kw, e.Results) {
		return nil
	}
	client := e.Client
	if client == "" {
		client = "event:" + e.EventID
	}
	fresh, err := s.store.CountSearch(ctx, client, kw, domain.KeywordDay(e.At))
	if err != nil {
		return err
	}
	if fresh {
		s.hot.record(kw)
	}
	return nil
}

// loadHotKeywords replaces this instance's hot keywords with the top ones
// of the HotKeywordWindow, as counted by every instance. Without a store
// the instance's own counts are all there is.
func (s *Keywords) loadHotKeywords(ctx context.Context) error {
	if s.store == nil {
		return nil
	}
	// Today and the six days before it.
	top, err := s.store.TopKeywords(ctx, domain.KeywordDay(s.clk.Now().AddDate(0, 0, -(domain.HotKeywordDays-1))), hotLoad)
	if err != nil {
		return err
	}
	blocked, err := s.store.BlockedKeywords(ctx)
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
func (s *Keywords) BlockKeyword(ctx context.Context, keyword string) error {
	kw, err := normalKeyword(keyword)
	if err != nil {
		return err
	}
	if s.store != nil {
		blocked, err := s.store.BlockedKeywords(ctx)
		if err != nil {
			return err
		}
		if len(blocked) >= domain.MaxBlockedKeywords {
			return domain.ErrTooManyBlockedKeywords
		}
		if err := s.store.BlockKeyword(ctx, kw); err != nil {
			return err
		}
		if err := s.store.DeleteKeyword(ctx, kw); err != nil {
			return err
		}
	}
	s.hot.block(kw, true)
	return nil
}

// UnblockKeyword lets a keyword count again.
func (s *Keywords) UnblockKeyword(ctx context.Context, keyword string) error {
	kw, err := normalKeyword(keyword)
	if err != nil {
		return err
	}
	if s.store != nil {
		if err := s.store.UnblockKeyword(ctx, kw); err != nil {
			return err
		}
	}
	s.hot.block(kw, false)
	return nil
}

// BlockedKeywords lists the block list.
func (s *Keywords) BlockedKeywords(ctx context.Context) ([]string, error) {
	if s.store != nil {
		return s.store.BlockedKeywords(ctx)
	}
	return s.hot.blockList(), nil
}

// RemoveHotKeyword drops a keyword's counts without blocking it.
func (s *Keywords) RemoveHotKeyword(ctx context.Context, keyword string) error {
	kw, err := normalKeyword(keyword)
	if err != nil {
		return err
	}
	if s.store != nil {
		if err := s.store.DeleteKeyword(ctx, kw); err != nil {
			return err
		}
	}
	s.hot.forget(kw)
	return nil
}

// refreshHotKeywords reloads the hot keywords and prunes old days.
func (s *Keywords) refreshHotKeywords(ctx context.Context) error {
	if s.store == nil {
		return nil
	}
	if err := s.loadHotKeywords(ctx); err != nil {
		return err
	}
	// Every instance prunes; the deletes are idempotent. Ids of the day
	// before yesterday and earlier can go: redeliveries come within minutes.
	now := s.clk.Now()
	return s.store.PruneKeywords(ctx, domain.KeywordDay(now.AddDate(0, 0, -keywordRetention)), domain.KeywordDay(now.AddDate(0, 0, -2)))
}

func limitOf(requested int32, def, most int) (int, error) {
	return pagetoken.PageSize(requested, def, most)
}

// HotKeywords are the most searched keywords.
func (s *Keywords) HotKeywords(limit int32) ([]HotKeyword, error) {
	n, err := limitOf(limit, 10, 50)
	if err != nil {
		return nil, err
	}
	return s.hot.top(n), nil
}

// SuggestKeywords completes a prefix from category names, title words and
// searched keywords: hot ones first, then those on more products, then
// shorter ones. An empty prefix suggests the hot keywords.
func (s *Keywords) SuggestKeywords(prefix string, limit int32) ([]string, error) {
	n, err := limitOf(limit, 10, 20)
	if err != nil {
		return nil, err
	}
	prefix = strings.ToLower(strings.TrimSpace(prefix))
	if prefix == "" {
		var out []string
		for _, h := range s.hot.top(n) {
			out = append(out, h.Keyword)
		}
		return out, nil
	}
	type cand struct {
		text     string
		hot      int64
		products int
	}
	found := map[string]*cand{}
	for _, ph := range s.model.PhrasesAfter(prefix) {
		found[strings.ToLower(ph.Text)] = &cand{text: ph.Text, products: ph.Products}
	}
	for _, h := range s.hot.top(maxHot) {
		if strings.HasPrefix(h.Keyword, prefix) && h.Keyword != prefix {
			if c, ok := found[h.Keyword]; ok {
				c.hot = h.Count
			} else {
				found[h.Keyword] = &cand{text: h.Keyword, hot: h.Count}
			}
		}
	}
	list := make([]*cand, 0, len(found))
	for _, c := range found {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.hot != b.hot {
			return a.hot > b.hot
		}
		if a.products != b.products {
			return a.products > b.products
		}
		if len(a.text) != len(b.text) {
			return len(a.text) < len(b.text)
		}
		return a.text < b.text
	})
	out := make([]string, 0, n)
	for _, c := range list[:min(n, len(list))] {
		out = append(out, c.text)
	}
	return out, nil
}
