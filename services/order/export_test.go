package order

import "siyu.dev/services/order/internal/app"

// SettingsOf exposes how a Config becomes the pricing and timing rules.
func SettingsOf(c Config) (app.Settings, error) { return c.settings() }
