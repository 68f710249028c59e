package store

import (
	"context"
	"fmt"
	"time"
)

// Bucket is a token bucket shared through the database: Rate tokens a
// second up to Burst.
type Bucket struct {
	Key   string
	Rate  float64
	Burst float64
}

// ReserveRate takes a sending slot from the overall bucket and one from
// the chat's (chat.Key may be empty) in one statement (function
// rate_reserve). With reserved true, the caller sends after wait; the slot
// is at most ahead in the future. With reserved false nothing was taken and
// the caller asks again after wait.
func (db *DB) ReserveRate(ctx context.Context, overall, chat Bucket, ahead time.Duration) (reserved bool, wait time.Duration, err error) {
	var r struct {
		Reserved bool    `db:"reserved"`
		Wait     float64 `db:"wait_s"`
	}
	if chat.Rate <= 0 {
		chat.Rate, chat.Burst = 1, 1
	}
	err = db.X.GetContext(ctx, &r, `SELECT reserved, wait_s FROM rate_reserve($1, $2, $3, $4, $5, $6, $7)`,
		overall.Key, overall.Rate, overall.Burst, chat.Key, chat.Rate, chat.Burst, ahead.Seconds())
	if err != nil {
		return false, 0, fmt.Errorf("reserving a sending slot: %w", err)
	}
	return r.Reserved, time.Duration(r.Wait * float64(time.Second)), nil
}

// PauseRate stops reservations from key for d (Telegram answered 429 with
// retry_after), in every process.
func (db *DB) PauseRate(ctx context.Context, key string, d time.Duration) error {
	_, err := db.X.ExecContext(ctx, `
INSERT INTO rate_buckets (key, tokens, updated_at, paused_until)
VALUES ($1, 0, clock_timestamp(), clock_timestamp() + $2 * interval '1 second')
ON CONFLICT (key) DO UPDATE
   SET paused_until = greatest(coalesce(rate_buckets.paused_until, EXCLUDED.paused_until), EXCLUDED.paused_until),
       tokens = least(rate_buckets.tokens, 0)`, key, d.Seconds())
	if err != nil {
		return fmt.Errorf("pausing %s: %w", key, err)
	}
	return nil
}

// PruneRateBuckets forgets per-chat buckets idle for longer than idle: by
// then they are full again, which is what a missing row means.
func (db *DB) PruneRateBuckets(ctx context.Context, prefix string, idle time.Duration) error {
	_, err := db.X.ExecContext(ctx, `
DELETE FROM rate_buckets WHERE starts_with(key, $1) AND updated_at < clock_timestamp() - $2 * interval '1 second'`,
		prefix, idle.Seconds())
	if err != nil {
		return fmt.Errorf("pruning rate buckets: %w", err)
	}
	return nil
}
