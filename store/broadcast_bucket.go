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

// Reservation is the answer of ReserveRate. With Reserved, the slot is
// Wait after At, on the database's clock, and at most ahead in the future;
// otherwise nothing was taken and the caller asks again after Wait.
type Reservation struct {
	Reserved bool          `db:"reserved"`
	Wait     time.Duration `db:"-"`
	At       time.Time     `db:"at"`
}

// ReserveRate takes a sending slot from the overall bucket and one from
// the chat's (chat.Key may be empty) in one statement (function
// rate_reserve).
func (db *DB) ReserveRate(ctx context.Context, overall, chat Bucket, ahead time.Duration) (Reservation, error) {
	var r struct {
		Reserved bool      `db:"reserved"`
		Wait     float64   `db:"wait_s"`
		At       time.Time `db:"at"`
	}
	if chat.Rate <= 0 {
		chat.Rate, chat.Burst = 1, 1
	}
	err := db.X.GetContext(ctx, &r, `SELECT reserved, wait_s, at FROM rate_reserve($1, $2, $3, $4, $5, $6, $7)`,
		overall.Key, overall.Rate, overall.Burst, chat.Key, chat.Rate, chat.Burst, ahead.Seconds())
	if err != nil {
		return Reservation{}, fmt.Errorf("reserving a sending slot: %w", err)
	}
	return Reservation{Reserved: r.Reserved, Wait: time.Duration(r.Wait * float64(time.Second)), At: r.At}, nil
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
