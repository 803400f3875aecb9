// Package channels holds the messaging service's senders for external
// channels.
package channels

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"siyu.dev/services/messaging/internal/domain"
)

// WechatSandbox stands in for WeChat's subscribe-message API in
// development and tests: it accepts every message, logs it and answers an
// id derived from it, so the delivery log shows what would have gone out.
type WechatSandbox struct {
	Logger *slog.Logger
}

// Send "sends" a rendered subscribe message.
func (s WechatSandbox) Send(ctx context.Context, memberID string, r domain.Rendered) (string, error) {
	sum := sha256.Sum256([]byte(memberID + "\x00" + r.ProviderTemplate + "\x00" + r.Link))
	id := "sbx-wx-" + hex.EncodeToString(sum[:6])
	if s.Logger != nil {
		s.Logger.InfoContext(ctx, "sandbox subscribe message", "member_id", memberID, "template", r.ProviderTemplate, "page", r.Link, "params", r.Params, "id", id)
	}
	return id, nil
}
