package app

import (
	"context"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Welcome gives new members the templates marked as new-member gifts, and
// forgets the wallets of members who deleted their account.
type Welcome struct {
	templates Templates
	wallets   Wallets
	granter   granter
}

// NewWelcome builds the member-event use cases.
func NewWelcome(templates Templates, wallets Wallets, settings Settings, clk clock.Clock) *Welcome {
	return &Welcome{templates: templates, wallets: wallets, granter: granter{templates: templates, wallets: wallets, settings: settings, clk: clk}}
}

// Registered gives the member one coupon of every open gift template,
// once each (a redelivered event gives nothing twice). A gift that ran out
// or ended is skipped.
func (w *Welcome) Registered(ctx context.Context, memberID string) error {
	all, err := w.templates.List(ctx)
	if err != nil {
		return err
	}
	for _, t := range all {
		if !t.NewMemberGift {
			continue
		}
		if _, _, err := w.granter.grant(ctx, memberID, domain.GiftKey(t.ID), t, true); err != nil && !fault.Permanent(err) {
			return err
		}
	}
	return nil
}

// Deleted forgets the member's coupons.
func (w *Welcome) Deleted(ctx context.Context, memberID string) error {
	return w.wallets.Delete(ctx, memberID)
}
