// Package sms holds the SMS providers that deliver login codes.
package sms

import (
	"context"
	"log/slog"

	"siyu.dev/pkg/logx"
)

// Dev logs the code instead of sending it, for development machines with
// no SMS account. The phone is masked in the log like everywhere else.
type Dev struct{ Logger *slog.Logger }

// SendLoginCode logs the code.
func (d Dev) SendLoginCode(ctx context.Context, phone, code string) error {
	d.Logger.InfoContext(ctx, "dev sms: login code", "phone", logx.MaskPhone(phone), "code", code)
	return nil
}
