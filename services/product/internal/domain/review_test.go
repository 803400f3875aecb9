package domain_test

import (
	"strings"
	"testing"
	"time"

	"siyu.dev/services/product/internal/domain"
)

func TestValidateReview(t *testing.T) {
	ok := domain.Review{Rating: 5, Text: " 很好 ", ImageURLs: []string{"https://img.example.com/a.jpg", "/static/b.png"}}
	nine := make([]string, 10)
	for i := range nine {
		nine[i] = "/i/" + strings.Repeat("x", i+1)
	}
	cases := []struct {
		name   string
		change func(*domain.Review)
		reason string
	}{
		{"valid", func(*domain.Review) {}, ""},
		{"one star", func(r *domain.Review) { r.Rating = 1 }, ""},
		{"no text", func(r *domain.Review) { r.Text = "" }, ""},
		{"zero stars", func(r *domain.Review) { r.Rating = 0 }, "RATING_INVALID"},
		{"six stars", func(r *domain.Review) { r.Rating = 6 }, "RATING_INVALID"},
		{"negative", func(r *domain.Review) { r.Rating = -1 }, "RATING_INVALID"},
		{"500 chinese characters", func(r *domain.Review) { r.Text = strings.Repeat("好", 500) }, ""},
		{"501 characters", func(r *domain.Review) { r.Text = strings.Repeat("好", 501) }, "REVIEW_TEXT_INVALID"},
		{"too many images", func(r *domain.Review) { r.ImageURLs = nine }, "REVIEW_IMAGES_INVALID"},
		{"javascript url", func(r *domain.Review) { r.ImageURLs = []string{"javascript:alert(1)"} }, "REVIEW_IMAGES_INVALID"},
		{"data url", func(r *domain.Review) { r.ImageURLs = []string{"data:image/png;base64,AAAA"} }, "REVIEW_IMAGES_INVALID"},
		{"protocol-relative", func(r *domain.Review) { r.ImageURLs = []string{"//evil.example/x.png"} }, "REVIEW_IMAGES_INVALID"},
		{"no host", func(r *domain.Review) { r.ImageURLs = []string{"https:///x.png"} }, "REVIEW_IMAGES_INVALID"},
		{"quote inside", func(r *domain.Review) { r.ImageURLs = []string{`/a".png`} }, "REVIEW_IMAGES_INVALID"},
		{"empty url", func(r *domain.Review) { r.ImageURLs = []string{""} }, "REVIEW_IMAGES_INVALID"},
		{"duplicate image", func(r *domain.Review) { r.ImageURLs = []string{"/a.png", "/a.png"} }, "REVIEW_IMAGES_INVALID"},
		{"huge url", func(r *domain.Review) { r.ImageURLs = []string{"/" + strings.Repeat("a", 2048)} }, "REVIEW_IMAGES_INVALID"},
		{"long nickname", func(r *domain.Review) { r.Nickname = strings.Repeat("名", 21) }, "NICKNAME_INVALID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ok
			r.ImageURLs = append([]string(nil), ok.ImageURLs...)
			c.change(&r)
			got, err := domain.ValidateReview(r)
			if reason(err) != c.reason {
				t.Fatalf("got %v, want %q", err, c.reason)
			}
			if err == nil && got.Text != strings.TrimSpace(r.Text) {
				t.Errorf("text not trimmed: %q", got.Text)
			}
		})
	}
}

func reason(err error) string {
	if err == nil {
		return ""
	}
	return string(err.(*domain.Error).Reason)
}

func TestReviewRulesAndSummary(t *testing.T) {
	if domain.ReviewID("o-1", "l-1") == domain.ReviewID("o-1", "l-2") ||
		domain.ReviewID("o-1", "1") == domain.ReviewID("o-11", "") {
		t.Error("review ids must be one per order line")
	}
	names := map[string]domain.Review{
		domain.AnonymousName: {MemberID: "m_1", Nickname: "小王", Anonymous: true},
		"小王":                 {MemberID: "m_1", Nickname: "小王"},
		"会员abcd":             {MemberID: "m_0123abcd"},
	}
	for want, r := range names {
		if got := r.DisplayName(); got != want {
			t.Errorf("display name of %+v: %q, want %q", r, got, want)
		}
	}
	for _, c := range []struct {
		text, reason string
	}{{"谢谢", ""}, {"  ", "REPLY_INVALID"}, {strings.Repeat("谢", 501), "REPLY_INVALID"}} {
		if _, err := domain.ValidateReply(c.text); reason(err) != c.reason {
			t.Errorf("reply %q: %v, want %q", c.text, err, c.reason)
		}
	}
	long, blank, yes := strings.Repeat("好", 501), "  改  ", true
	for _, c := range []struct {
		name   string
		edit   domain.ReviewEdit
		reason string
	}{
		{"nothing", domain.ReviewEdit{}, "UPDATE_MASK_INVALID"},
		{"too long", domain.ReviewEdit{Text: &long}, "REVIEW_TEXT_INVALID"},
		{"text", domain.ReviewEdit{Text: &blank}, ""},
		{"anonymous only", domain.ReviewEdit{Anonymous: &yes}, ""},
	} {
		got, err := domain.ValidateEdit(c.edit)
		if reason(err) != c.reason {
			t.Errorf("edit %s: %v, want %q", c.name, err, c.reason)
		}
		if c.name == "text" && *got.Text != "改" {
			t.Errorf("edit text not trimmed: %q", *got.Text)
		}
	}
	if err := domain.ValidateReviewFilter(domain.ReviewFilter{Rating: 6}); reason(err) != "RATING_INVALID" {
		t.Errorf("rating filter 6: %v", err)
	}
	var s domain.RatingSummary
	if s.AverageX100() != 0 {
		t.Error("empty average")
	}
	s.Add(domain.Review{Rating: 5, ImageURLs: []string{"/a"}}, 1)
	s.Add(domain.Review{Rating: 4}, 1)
	s.Add(domain.Review{Rating: 4}, 1)
	if s.Count != 3 || s.Stars != [5]int64{0, 0, 0, 2, 1} || s.WithImages != 1 || s.AverageX100() != 433 {
		t.Fatalf("summary %+v avg %d", s, s.AverageX100())
	}
	s.Add(domain.Review{Rating: 5, ImageURLs: []string{"/a"}}, -1)
	if s.Count != 2 || s.WithImages != 0 || s.AverageX100() != 400 {
		t.Fatalf("after removing: %+v", s)
	}
	s.Add(domain.Review{Rating: 5}, 1)
	if s.AverageX100() != 433 { // 13/3 = 4.333
		t.Errorf("rounding: %d", s.AverageX100())
	}
}

func TestRecModelSignals(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	m := domain.NewRecModel(t0)
	buy := func(id, member string, at time.Time, products ...string) {
		var lines []domain.PurchaseLine
		for _, p := range products {
			lines = append(lines, domain.PurchaseLine{ProductID: p, CategoryID: "cat-" + p[:1], Quantity: 1})
		}
		m.AddPurchase(domain.Purchase{ID: id, OrderID: id, MemberID: member, At: at, Lines: lines})
	}
	// Phone cases go with phones; a best-selling mug goes with everything once.
	buy("o1", "a", t0, "phone", "pcase")
	buy("o2", "b", t0, "phone", "pcase")
	buy("o3", "c", t0, "phone", "mug")
	for i := 0; i < 5; i++ {
		buy("m"+string(rune('0'+i)), "d", t0, "mug")
	}
	rel := m.Related("phone", 3, nil)
	if len(rel) < 2 || rel[0].ProductID != "pcase" || rel[0].Reason != "co_purchase" {
		t.Fatalf("related to phone: %+v", rel)
	}
	// Off-shelf or out-of-stock products never appear.
	for _, s := range m.Related("phone", 5, func(p string) bool { return p != "pcase" }) {
		if s.ProductID == "pcase" || s.ProductID == "phone" {
			t.Fatalf("filtered or self product recommended: %+v", s)
		}
	}
	// Hot: recent sales outweigh old ones.
	buy("late", "e", t0.Add(21*24*time.Hour), "pants")
	buy("late2", "e", t0.Add(21*24*time.Hour), "pants")
	hot := m.Hot("", 2, nil, nil)
	if hot[0].ProductID != "pants" || m.Sales("mug") != 6 {
		t.Fatalf("hot %+v, mug sales %d", hot, m.Sales("mug"))
	}
	// Refunds take sales back.
	m.AddPurchase(domain.Purchase{ID: "r", MemberID: "e", At: t0.Add(21 * 24 * time.Hour), Refund: true, Lines: []domain.PurchaseLine{{ProductID: "pants", Quantity: 2}}})
	if m.Sales("pants") != 0 || m.Hot("", 1, nil, nil)[0].ProductID == "pants" {
		t.Fatalf("refund: sales %d hot %+v", m.Sales("pants"), m.Hot("", 1, nil, nil))
	}
	if got := m.Hot("cat-p", 5, nil, nil); len(got) != 2 || got[0].ProductID != "phone" {
		t.Errorf("hot in category: %+v", got)
	}
	// Cold start: the hot list.
	if cold := m.ForYou("nobody", 2, nil); len(cold) != 2 || cold[0].ProductID != "mug" {
		t.Errorf("cold start: %+v", cold)
	}
	// A member who viewed phones gets phone things, not what they bought.
	m.AddView(domain.View{MemberID: "f", ProductID: "phone", CategoryID: "cat-p", At: t0})
	m.AddView(domain.View{MemberID: "g", ProductID: "phone", CategoryID: "cat-p", At: t0})
	m.AddView(domain.View{MemberID: "g", ProductID: "pcase", CategoryID: "cat-p", At: t0})
	fy := m.ForYou("f", 3, nil)
	if len(fy) == 0 || fy[0].ProductID != "phone" && fy[0].ProductID != "pcase" {
		t.Errorf("for you after views: %+v", fy)
	}
	for _, s := range m.ForYou("a", 5, nil) {
		if s.ProductID == "phone" || s.ProductID == "pcase" {
			t.Errorf("recommends what a bought: %+v", s)
		}
	}
}
