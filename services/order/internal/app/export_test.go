package app

import "time"

// Test seams for the external tests of this package.

// ErrCrashed is what a saga stopped by CrashAfter returns.
var ErrCrashed = errCrashed

// CrashAfter stops c's sagas dead after the steps crash names.
func CrashAfter(c *Checkout, crash func(step string) bool) { c.crash = crash }

// SettleWithin bounds how long a repeat waits for the first request.
func SettleWithin(c *Checkout, d time.Duration) { c.settle = d }
