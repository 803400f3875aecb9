package app

import (
	"context"
	"slices"
	"sort"
	"strings"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Shop is the shopper's side of coupons: the coupon centre, claims,
// exchange codes and their own coupons.
type Shop struct {
	templates Templates
	wallets   Wallets
	codes     Codes
	granter   granter
	clk       clock.Clock
}

// NewShop builds the shopper's coupon use cases.
func NewShop(templates Templates, wallets Wallets, codes Codes, settings Settings, clk clock.Clock) *Shop {
	return &Shop{templates: templates, wallets: wallets, codes: codes, clk: clk,
		granter: granter{templates: templates, wallets: wallets, settings: settings, clk: clk}}
}

// Offer is a template in the coupon centre.
type Offer struct {
	Template domain.Template
	// Held is how many the member holds (0 for a visitor).
	Held int64
}

// Offers lists the claimable templates open now, those that apply to the
// product or category when given; memberID may be empty.
func (s *Shop) Offers(ctx context.Context, memberID, productID, categoryID string) ([]Offer, error) {
	all, err := s.templates.List(ctx)
	if err != nil {
		return nil, err
	}
	var w domain.Wallet
	if memberID != "" {
		if w, err = s.wallets.Wallet(ctx, memberID); err != nil {
			return nil, err
		}
	}
	now := s.clk.Now()
	var out []Offer
	for _, t := range all {
		if !t.Claimable || t.Open(now) != nil || t.Left() == 0 {
			continue
		}
		if (productID != "" || categoryID != "") && !t.Scope.All() &&
			!slices.Contains(t.Scope.ProductIDs, productID) && !slices.Contains(t.Scope.CategoryIDs, categoryID) {
			continue
		}
		out = append(out, Offer{Template: t, Held: w.Holding(t.ID)})
	}
	return out, nil
}

// Claim gives the member a coupon of a claimable template; a repeat of the
// same request id answers the first claim's coupon.
func (s *Shop) Claim(ctx context.Context, memberID, templateID, requestID string) (domain.Coupon, error) {
	if len(requestID) > 64 {
		return domain.Coupon{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "request_id is at most 64 characters", "field", "request_id")
	}
	t, err := s.templates.Template(ctx, templateID)
	if err != nil {
		return domain.Coupon{}, err
	}
	if !t.Claimable {
		return domain.Coupon{}, fault.New(fault.NotFound, domain.ReasonTemplateNotFound, "no such coupon to claim", "template_id", templateID)
	}
	key := domain.ClaimKey(t.ID, requestID)
	if requestID == "" {
		// Without a request id every claim is new (the limit still holds).
		key = domain.ClaimKey(t.ID, newID("r"))
	}
	c, _, err := s.granter.grant(ctx, memberID, key, t, true)
	return c, err
}

// Redeem turns an exchange code into a coupon for the member.
func (s *Shop) Redeem(ctx context.Context, memberID, code string) (domain.Coupon, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" || len(code) > 32 {
		return domain.Coupon{}, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "a code of at most 32 characters is required", "field", "code")
	}
	k, err := s.codes.Code(ctx, code)
	if err != nil {
		return domain.Coupon{}, err
	}
	holder, err := s.codes.Redeem(ctx, code, memberID)
	if err != nil {
		return domain.Coupon{}, err
	}
	if holder != memberID {
		return domain.Coupon{}, fault.New(fault.Precondition, domain.ReasonCodeUsed, "this code was already redeemed")
	}
	t, err := s.templates.Template(ctx, k.TemplateID)
	if err != nil {
		return domain.Coupon{}, err
	}
	// The code took its coupon from the template when it was made; the
	// member's limit does not apply to a code they were handed.
	t.PerMemberLimit = domain.MaxPerMember
	c, _, err := s.granter.grant(ctx, memberID, domain.CodeKey(code), t, false)
	return c, err
}

// Mine lists the member's coupons (of one status when given), soonest to
// expire first. Expired coupons show as EXPIRED before the sweeper marks them.
func (s *Shop) Mine(ctx context.Context, memberID string, status domain.CouponStatus) ([]domain.Coupon, error) {
	switch status {
	case "", domain.CouponUnused, domain.CouponLocked, domain.CouponUsed, domain.CouponExpired:
	default:
		return nil, fault.New(fault.Invalid, domain.ReasonArgumentInvalid, "status is UNUSED, LOCKED, USED or EXPIRED", "field", "status")
	}
	w, err := s.wallets.Wallet(ctx, memberID)
	if err != nil {
		return nil, err
	}
	now := s.clk.Now()
	var out []domain.Coupon
	for _, c := range w.Coupons {
		c.Expire(now)
		if status == "" || c.Status == status {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].ValidTo.Before(out[b].ValidTo) })
	return out, nil
}
