package lifecycle

import (
	"context"
	"time"
)

// Every runs job once per interval, the first time one interval after the
// call, until ctx is done. A failed run is reported to onErr and retried at
// the next tick: periodic jobs (sweepers, cache reloads) keep their state in
// the database, so a run that fails or never happens is made up by the next.
func Every(ctx context.Context, interval time.Duration, job func(context.Context) error, onErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(ctx); err != nil && ctx.Err() == nil && onErr != nil {
				onErr(err)
			}
		}
	}
}
