package domain

import (
	"strings"
	"unicode/utf8"

	"siyu.dev/pkg/fault"
)

// Banner is one home-page banner.
type Banner struct {
	Title, Link, ImageURL, Background string
}

// MaxBanners bounds the home page's carousel.
const MaxBanners = 10

// ValidateBanners checks banners before they are set: links stay inside
// the storefront, images are https, backgrounds are plain CSS colours or
// gradients (no url(), no expressions).
func ValidateBanners(bs []Banner) error {
	if len(bs) > MaxBanners {
		return fault.New(fault.Invalid, ReasonBannerInvalid, "at most 10 banners", "field", "banners")
	}
	for _, b := range bs {
		switch n := utf8.RuneCountInString(strings.TrimSpace(b.Title)); {
		case n == 0 || n > 32:
			return fault.New(fault.Invalid, ReasonBannerInvalid, "a title of 1 to 32 characters is required", "field", "title")
		case !strings.HasPrefix(b.Link, "/") || strings.HasPrefix(b.Link, "//") || len(b.Link) > 200:
			return fault.New(fault.Invalid, ReasonBannerInvalid, "a link is a storefront path such as /flash-sales", "field", "link")
		case b.ImageURL != "" && (!strings.HasPrefix(b.ImageURL, "https://") || len(b.ImageURL) > 500):
			return fault.New(fault.Invalid, ReasonBannerInvalid, "an image is an https URL", "field", "image_url")
		case len(b.Background) > 120 || strings.ContainsAny(b.Background, ";{}<>\\\"'") || strings.Contains(strings.ToLower(b.Background), "url("):
			return fault.New(fault.Invalid, ReasonBannerInvalid, "a background is a CSS colour or gradient", "field", "background")
		}
	}
	return nil
}

// DefaultBanners are what a shop shows before its operators set any.
var DefaultBanners = []Banner{
	{Title: "限时秒杀 每日上新", Link: "/flash-sales", Background: "linear-gradient(135deg,#ff6034,#ee0a24)"},
	{Title: "好友拼团 一起更划算", Link: "/group-buys", Background: "linear-gradient(135deg,#7232dd,#a66efa)"},
	{Title: "领券中心 满减叠加", Link: "/coupons", Background: "linear-gradient(135deg,#07c160,#3ddc84)"},
}
