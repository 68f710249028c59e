package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"reentrybot/store"
)

// sweep retries the core's pending work: inbox events a lane dropped,
// revoked staff's menus, the erasure of returnees' Telegram chats. It runs
// at start and then periodically, before the features' jobs (the desk's
// topics and relays among them), so a crash or an outage delays these but
// never drops them.
func (b *Bot) sweep(ctx context.Context) {
	b.sweepInbox(ctx)       // channels.go
	b.dropRevokedMenus(ctx) // menus.go
	b.eraseChats(ctx)       // erasure.go
}

// The core's own job, run by the sweeper as the features' are.
func init() { RegisterJob("housekeeping", time.Hour, housekeeping) }

// housekeeping drops what can no longer be needed: handled inbox events
// (messengers redeliver for a day at most, Telegram keeps undelivered
// updates for 24 hours, so a week-old event cannot come again) and idle
// web chat sessions and visitors past retention.
func housekeeping(ctx context.Context, b *Bot) error {
	var errs []error
	if _, err := b.db.PruneInbox(ctx, b.now().Add(-7*24*time.Hour)); err != nil {
		errs = append(errs, fmt.Errorf("pruning the inbox: %w", err))
	}
	months := b.opts.RetentionMonths
	if months <= 0 {
		months = store.DefaultRetentionMonths
	}
	if _, err := b.db.PruneWebChat(ctx, b.now().AddDate(0, -months, 0)); err != nil {
		errs = append(errs, fmt.Errorf("pruning the web chat: %w", err))
	}
	return errors.Join(errs...)
}

func (b *Bot) sweeper(ctx context.Context) {
	t := time.NewTicker(b.opts.SweepEvery)
	defer t.Stop()
	last := map[string]time.Time{} // the jobs (features.go), housekeeping's too
	for {
		b.sweep(ctx)
		b.runJobs(ctx, last) // housekeeping, reminders, retention, the desk's topics and relays
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
