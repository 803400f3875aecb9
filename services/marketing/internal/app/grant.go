package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/fault"
	"siyu.dev/services/marketing/internal/domain"
)

// Settings are the service's coupon timings.
type Settings struct {
	// RemindBefore is how long before an unused coupon expires its
	// "about to expire" event goes out.
	RemindBefore time.Duration
}

// granter gives members coupons: claims, issues, codes and gifts all go
// through it, so the template's quantity and the member's limit hold
// whatever path a coupon takes.
type granter struct {
	templates Templates
	wallets   Wallets
	settings  Settings
	clk       clock.Clock
}

// grant gives memberID a coupon of t under key. With take it first counts
// one more issued on the template (exchange codes took theirs when they
// were made). A unit taken for a grant that then fails is handed back; if
// even that fails (the store is down) the template has one coupon fewer
// to give, never one too many. fresh is false when key gave one before.
func (g granter) grant(ctx context.Context, memberID, key string, t domain.Template, take bool) (c domain.Coupon, fresh bool, err error) {
	w, err := g.wallets.Wallet(ctx, memberID)
	if err != nil {
		return c, false, err
	}
	if prev, ok := w.Given(key); ok {
		return prev, false, nil
	}
	if take {
		if err := t.Open(g.clk.Now()); err != nil {
			return c, false, err
		}
		if w.Holding(t.ID) >= t.PerMemberLimit {
			// Checked again below; this spares the template a unit.
			_, _, err := w.Grant(key, t, g.clk.Now())
			return c, false, err
		}
		ok, err := g.templates.Take(ctx, t.ID, 1)
		if err != nil {
			return c, false, err
		}
		if !ok {
			return c, false, g.whyNot(ctx, t.ID)
		}
	}
	_, err = modifyWallet(ctx, g.wallets, memberID, g.settings.RemindBefore, func(w *domain.Wallet) (bool, error) {
		c, fresh, err = w.Grant(key, t, g.clk.Now())
		return fresh, err
	})
	if take && (err != nil || !fresh) {
		_ = g.templates.Give(context.WithoutCancel(ctx), t.ID, 1)
	}
	return c, fresh, err
}

// whyNot explains a refused Take.
func (g granter) whyNot(ctx context.Context, id string) error {
	t, err := g.templates.Template(ctx, id)
	if err != nil {
		return err
	}
	if err := t.Open(g.clk.Now()); err != nil {
		return err
	}
	return fault.New(fault.Exhausted, domain.ReasonSoldOut, "this coupon is all gone", "template_id", id)
}

// newID is a random id with a prefix.
func newID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}
