package app

import (
	"context"
	"log/slog"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/natsx"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	"siyu.dev/services/marketing/internal/domain"
)

// Sweeper expires unused coupons whose time is over and announces those
// about to expire (once per coupon).
type Sweeper struct {
	wallets  Wallets
	events   Publisher
	settings Settings
	clk      clock.Clock
	log      *slog.Logger
}

// NewSweeper builds the expiry sweeper.
func NewSweeper(wallets Wallets, events Publisher, settings Settings, clk clock.Clock, log *slog.Logger) *Sweeper {
	return &Sweeper{wallets: wallets, events: events, settings: settings, clk: clk, log: log}
}

// Sweep handles up to limit due wallets and reports how many it saw. The
// event goes out before the wallet records the reminder: a crash between
// sends it again with the same id, which the stream's duplicate window
// drops.
func (s *Sweeper) Sweep(ctx context.Context, limit int) (int, error) {
	due, err := s.wallets.Due(ctx, s.clk.Now(), limit)
	if err != nil {
		return 0, err
	}
	for _, w := range due {
		var expiring []domain.Coupon
		_, err := modifyWallet(ctx, s.wallets, w.MemberID, s.settings.RemindBefore, func(w *domain.Wallet) (bool, error) {
			now := s.clk.Now()
			expiring = w.Expiring(now, s.settings.RemindBefore)
			for _, c := range expiring {
				if err := s.announce(ctx, c); err != nil {
					return false, err
				}
			}
			w.Expire(now)
			// Saved even when nothing changed: that moves the wallet's
			// next due time on.
			return true, nil
		})
		if err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

func (s *Sweeper) announce(ctx context.Context, c domain.Coupon) error {
	e, err := natsx.NewEvent(ctx, marketingv1.SubjectCouponsExpiring, "expiring-"+c.ID, &marketingv1.CouponsExpiring{
		EventId: "expiring-" + c.ID, OccurredAt: timestamppb.New(s.clk.Now()), MemberId: c.MemberID, CouponId: c.ID,
		CouponName: c.Rule.Name, ExpiresAt: timestamppb.New(c.ValidTo)})
	if err != nil {
		return err
	}
	return s.events.Publish(ctx, e)
}
