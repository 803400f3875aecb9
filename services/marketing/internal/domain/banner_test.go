package domain

import (
	"strings"
	"testing"

	"siyu.dev/pkg/fault"
)

func TestBannerValidation(t *testing.T) {
	ok := Banner{Title: "秒杀", Link: "/flash-sales", Background: "#ee0a24"}
	cases := []struct {
		name  string
		b     Banner
		field string
	}{
		{"valid", ok, ""},
		{"gradient", Banner{Title: "团", Link: "/group-buys", Background: "linear-gradient(135deg,#7232dd,#a66efa)"}, ""},
		{"image", Banner{Title: "图", Link: "/", ImageURL: "https://cdn.example.com/a.png"}, ""},
		{"no title", Banner{Link: "/"}, "title"},
		{"outside link", Banner{Title: "x", Link: "https://evil.example.com"}, "link"},
		{"protocol-relative", Banner{Title: "x", Link: "//evil.example.com"}, "link"},
		{"http image", Banner{Title: "x", Link: "/", ImageURL: "http://cdn.example.com/a.png"}, "image_url"},
		{"css injection", Banner{Title: "x", Link: "/", Background: "red;position:fixed"}, "background"},
		{"url background", Banner{Title: "x", Link: "/", Background: "URL(https://x)"}, "background"},
		{"long title", Banner{Title: strings.Repeat("秒", 33), Link: "/"}, "title"},
	}
	for _, c := range cases {
		err := ValidateBanners([]Banner{c.b})
		f, _ := fault.As(err)
		if (c.field == "" && err != nil) || (c.field != "" && (f == nil || f.Reason != ReasonBannerInvalid || f.Meta["field"] != c.field)) {
			t.Errorf("%s: %v, want field %q", c.name, err, c.field)
		}
	}
	if ValidateBanners(make([]Banner, 11)) == nil {
		t.Error("at most 10")
	}
}
