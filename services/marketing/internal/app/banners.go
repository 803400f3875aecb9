package app

import (
	"context"

	"siyu.dev/services/marketing/internal/domain"
)

// BannerStore keeps the home page's banners in one document.
type BannerStore interface {
	// Banners is found false while operators never set any.
	Banners(ctx context.Context) (bs []domain.Banner, found bool, err error)
	SetBanners(ctx context.Context, bs []domain.Banner) error
}

// Banners are the home page's banners: the operators', or the defaults.
type Banners struct{ store BannerStore }

// NewBanners builds the banner use cases.
func NewBanners(store BannerStore) *Banners { return &Banners{store: store} }

// List returns the banners to show.
func (b *Banners) List(ctx context.Context) ([]domain.Banner, error) {
	bs, found, err := b.store.Banners(ctx)
	if err != nil || found {
		return bs, err
	}
	return domain.DefaultBanners, nil
}

// Set replaces the banners.
func (b *Banners) Set(ctx context.Context, bs []domain.Banner) ([]domain.Banner, error) {
	if err := domain.ValidateBanners(bs); err != nil {
		return nil, err
	}
	if bs == nil {
		bs = []domain.Banner{}
	}
	return bs, b.store.SetBanners(ctx, bs)
}
