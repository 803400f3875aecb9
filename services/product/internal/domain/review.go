package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"siyu.dev/pkg/fault"
	"strings"
	"time"
	"unicode/utf8"
)

// Review limits.
const (
	MaxReviewText     = 500
	MaxReviewImages   = 9
	MaxReviewImageURL = 2048
	MaxNickname       = 20
	MaxReplyText      = 500
	// AnonymousName is shown instead of the nickname of an anonymous review.
	AnonymousName = "匿名用户"
)

// Review errors.
var (
	ErrReviewNotEligible = fault.New(KindFailedPrecondition, "REVIEW_NOT_ELIGIBLE", "only a completed order line of yours can be reviewed")
	ErrReviewExists      = fault.New(KindExists, "REVIEW_ALREADY_EXISTS", "this order line has been reviewed already")
	ErrReviewNotFound    = fault.New(KindNotFound, "REVIEW_NOT_FOUND", "no such review")
)

// Review is one member's review of one completed order line.
type Review struct {
	ID        string
	ProductID string
	SkuID     string
	OrderID   string
	LineID    string
	MemberID  string
	Nickname  string
	Anonymous bool
	Rating    int32
	Text      string
	ImageURLs []string
	Hidden    bool
	Reply     string
	ReplyAt   time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DisplayName is what other shoppers see as the author.
func (r Review) DisplayName() string {
	if r.Anonymous {
		return AnonymousName
	}
	if r.Nickname != "" {
		return r.Nickname
	}
	// Never the whole member id: only enough to tell reviewers apart.
	id := []rune(r.MemberID)
	if len(id) > 4 {
		id = id[len(id)-4:]
	}
	return "会员" + string(id)
}

// ReviewID is the id of the review of one order line. Deriving it from the
// line makes "once per line" a unique-key insert.
func ReviewID(orderID, lineID string) string {
	sum := sha256.Sum256([]byte(orderID + "\x00" + lineID))
	return "rv-" + hex.EncodeToString(sum[:10])
}

// ReviewableLine is a completed order line: the proof that its member may
// review its SKU.
type ReviewableLine struct {
	OrderID     string
	LineID      string
	MemberID    string
	ProductID   string
	SkuID       string
	CompletedAt time.Time
}

// ValidateReview checks what the member wrote and returns it trimmed.
func ValidateReview(r Review) (Review, error) {
	if r.Rating < 1 || r.Rating > 5 {
		return r, invalid("RATING_INVALID", "rating", "rating must be 1 to 5 stars")
	}
	r.Text = strings.TrimSpace(r.Text)
	if utf8.RuneCountInString(r.Text) > MaxReviewText {
		return r, invalid("REVIEW_TEXT_INVALID", "text", "text must be at most %d characters", MaxReviewText)
	}
	r.Nickname = strings.TrimSpace(r.Nickname)
	if utf8.RuneCountInString(r.Nickname) > MaxNickname {
		return r, invalid("NICKNAME_INVALID", "nickname", "nickname must be at most %d characters", MaxNickname)
	}
	if len(r.ImageURLs) > MaxReviewImages {
		return r, invalid("REVIEW_IMAGES_INVALID", "image_urls", "at most %d images", MaxReviewImages)
	}
	seen := map[string]bool{}
	for _, u := range r.ImageURLs {
		if !validImageURL(u) {
			return r, invalid("REVIEW_IMAGES_INVALID", "image_urls", "image URLs must be http(s) or site-relative, without spaces, under %d bytes", MaxReviewImageURL)
		}
		if seen[u] {
			return r, invalid("REVIEW_IMAGES_INVALID", "image_urls", "image %q appears twice", u)
		}
		seen[u] = true
	}
	return r, nil
}

// validImageURL admits http(s) URLs with a host and site-relative paths;
// data: URLs are refused so a review cannot carry megabytes of payload, and
// javascript: and protocol-relative URLs are refused outright.
func validImageURL(u string) bool {
	if u == "" || len(u) > MaxReviewImageURL || strings.ContainsAny(u, " \t\r\n\"'<>\\") {
		return false
	}
	switch {
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"):
		rest := u[strings.Index(u, "://")+3:]
		return rest != "" && rest[0] != '/'
	case strings.HasPrefix(u, "/"):
		return !strings.HasPrefix(u, "//")
	}
	return false
}

// ReviewEdit is what an author may change; nil fields stay as they are.
type ReviewEdit struct {
	Text      *string
	Anonymous *bool
}

// ValidateEdit checks an edit and returns it with the text trimmed.
func ValidateEdit(e ReviewEdit) (ReviewEdit, error) {
	if e.Text == nil && e.Anonymous == nil {
		return e, invalid("UPDATE_MASK_INVALID", "update_mask", "nothing to change")
	}
	if e.Text != nil {
		t := strings.TrimSpace(*e.Text)
		if utf8.RuneCountInString(t) > MaxReviewText {
			return e, invalid("REVIEW_TEXT_INVALID", "text", "text must be at most %d characters", MaxReviewText)
		}
		e.Text = &t
	}
	return e, nil
}

// ValidateReply checks an operator's reply and returns it trimmed.
func ValidateReply(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxReplyText {
		return text, invalid("REPLY_INVALID", "text", "reply must be 1-%d characters", MaxReplyText)
	}
	return text, nil
}

// RatingSummary aggregates a product's visible reviews.
type RatingSummary struct {
	ProductID  string
	Count      int64
	Stars      [5]int64 // Stars[0] counts 1-star reviews
	WithImages int64
}

// Add counts (sign 1) or uncounts (sign -1) a review.
func (s *RatingSummary) Add(r Review, sign int64) {
	s.Count += sign
	s.Stars[r.Rating-1] += sign
	if len(r.ImageURLs) > 0 {
		s.WithImages += sign
	}
}

// AverageX100 is the mean rating times 100, rounded half up; 0 without reviews.
func (s RatingSummary) AverageX100() int32 {
	if s.Count <= 0 {
		return 0
	}
	var sum int64
	for i, n := range s.Stars {
		sum += int64(i+1) * n
	}
	return int32((sum*200 + s.Count) / (2 * s.Count))
}

// ReviewFilter selects a product's reviews.
type ReviewFilter struct {
	ProductID     string
	MemberID      string
	Rating        int32
	WithImages    bool
	IncludeHidden bool
}

// ValidateReviewFilter checks a listing filter.
func ValidateReviewFilter(f ReviewFilter) error {
	if f.Rating < 0 || f.Rating > 5 {
		return invalid("RATING_INVALID", "rating", "rating filter must be 0 (any) or 1 to 5")
	}
	return nil
}

// Reviewed is the event of a new review.
type Reviewed struct {
	EventID string
	Review  Review
	At      time.Time
}

// ReviewRepository stores eligibility, reviews and per-product summaries.
type ReviewRepository interface {
	// AddReviewableLines records completed lines; recording one twice changes nothing.
	AddReviewableLines(ctx context.Context, lines []ReviewableLine) error
	// ReviewableLine finds a recorded line (ErrReviewNotEligible when absent).
	ReviewableLine(ctx context.Context, orderID, lineID string) (ReviewableLine, error)
	// MemberLines lists a member's recorded lines.
	MemberLines(ctx context.Context, memberID string) ([]ReviewableLine, error)
	// CreateReview inserts r with its event (ErrReviewExists when the line
	// has one) and counts it in the product's summary.
	CreateReview(ctx context.Context, r Review, ev Reviewed) error
	Review(ctx context.Context, id string) (Review, error) // ErrReviewNotFound
	// SetHidden flips a review's visibility and its summary counts; it
	// reports false when the review already had that visibility.
	SetHidden(ctx context.Context, id string, hidden bool) (Review, bool, error)
	SetReply(ctx context.Context, id, text string, at time.Time) (Review, error)
	// EditReview changes the text and anonymous flag of memberID's review
	// (ErrReviewNotFound when it is not theirs).
	EditReview(ctx context.Context, id, memberID string, e ReviewEdit, at time.Time) (Review, error)
	// ListReviews pages through matching reviews newest first.
	ListReviews(ctx context.Context, f ReviewFilter, offset, limit int) ([]Review, int, error)
	Summary(ctx context.Context, productID string) (RatingSummary, error)
	// Summaries lists the summary of every reviewed product.
	Summaries(ctx context.Context) ([]RatingSummary, error)
}
