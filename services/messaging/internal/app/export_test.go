package app

import (
	"context"
	"time"
)

// NoPause lets tests broadcast without the throttle's pauses.
func NoPause(b *Broadcasts) { b.sleep = func(context.Context, time.Duration) {} }
