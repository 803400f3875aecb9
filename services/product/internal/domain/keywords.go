package domain

import (
	"context"
	"strings"
	"time"
	"unicode"
)

// HotKeywordDays is how many Shanghai days, today included, hot keywords
// count searches over.
const HotKeywordDays = 7

// shanghai is China Standard Time: UTC+8 all year (no daylight saving), so a
// fixed zone needs no time zone database in the container.
var shanghai = time.FixedZone("CST", 8*60*60)

// KeywordDay is the Shanghai day a search is counted on, as "2006-01-02":
// shoppers' "today" ends at midnight in China, not in UTC.
func KeywordDay(t time.Time) string { return t.In(shanghai).Format(time.DateOnly) }

// Keyword is a search query as hot keywords count it: trimmed, full-width
// ASCII folded to half width, lower case, and every run of spaces as one,
// so "ｉＰｈｏｎｅ  15" and "iphone 15" are one keyword.
func Keyword(q string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(q) {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Searched is a shopper's search as an event: the keyword (normalised),
// the member if signed in, and how many products matched.
type Searched struct {
	EventID  string
	At       time.Time
	Query    string
	MemberID string
	// Client is who searched, for counting a keyword once per client and
	// day: the member, else the network; empty on events from before it
	// existed, which then count once per event.
	Client  string
	Results int
}

// MaxBlockedKeywords bounds the operators' block list.
const MaxBlockedKeywords = 1000

// SearchEvents receives shoppers' searches. Searched must return at once:
// a search is a read and never waits for, or fails because of, the broker.
type SearchEvents interface {
	Searched(ctx context.Context, e Searched)
}

// KeywordCount is how often a keyword was searched.
type KeywordCount struct {
	Keyword string
	Count   int64
}

// KeywordRepository keeps search counts per keyword and Shanghai day.
type KeywordRepository interface {
	// CountSearch adds one search of keyword on day unless client counted
	// it there already; fresh says whether it counted now.
	CountSearch(ctx context.Context, client, keyword, day string) (fresh bool, err error)
	// DeleteKeyword forgets every count of keyword.
	DeleteKeyword(ctx context.Context, keyword string) error
	BlockKeyword(ctx context.Context, keyword string) error
	UnblockKeyword(ctx context.Context, keyword string) error
	BlockedKeywords(ctx context.Context) ([]string, error)
	// TopKeywords sums the days from fromDay on and returns the limit most
	// searched keywords, most first, ties by keyword.
	TopKeywords(ctx context.Context, fromDay string, limit int) ([]KeywordCount, error)
	// PruneKeywords deletes the days before beforeDay and the client
	// markers of the days before clientsBeforeDay.
	PruneKeywords(ctx context.Context, beforeDay, clientsBeforeDay string) error
}
