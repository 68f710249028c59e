package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/flows"
)

// Seed writes people rows straight into a migrated database, as if they had
// used the bot: total people, Telegram user ids firstID, firstID+1, …, each
// with a full profile and the four consents. The first active of them are in
// the middle of the job flow, at the question that asks for trades (each
// input there, a typed trade or a pressed trade button, is answered with
// the question again); the others rest at the menu. Conversation versions
// start at 10, so the buttons the bot renders carry "11:" after the first
// input. It returns the number of people written.
func Seed(ctx context.Context, x *sqlx.DB, now time.Time, firstID int64, total, active int) (int64, error) {
	if active > total {
		return 0, fmt.Errorf("bench: %d active of %d people", active, total)
	}
	res, err := x.ExecContext(ctx, `
WITH p AS (
  INSERT INTO people (channel, external_id, chat_ref, language, full_name, birth_year, gender, phone, commune_code, education,
                      created_at, last_seen_at)
  SELECT 'telegram', ($1 + i)::text, ($1 + i)::text, 'vi', 'Người thử ' || i, 1970 + i % 40,
         CASE WHEN i % 3 = 0 THEN 'female' ELSE 'male' END, '+8491' || lpad((i % 10000000)::text, 7, '0'),
         '07840', 'upper_secondary', $5, $5
    FROM generate_series(0, $2 - 1) AS i
  RETURNING id, external_id::bigint - $1 < $3 AS active
), c AS (
  INSERT INTO consents (person_id, purpose, granted, text_version, decided_at)
  SELECT p.id, purpose, true, $4, $5
    FROM p CROSS JOIN unnest(ARRAY['job', 'training', 'loan', 'announcements']) AS purpose
)
INSERT INTO conversations (person_id, flow, state, data, version, answered_version, updated_at)
SELECT id,
       CASE WHEN active THEN 'job' ELSE 'menu' END,
       CASE WHEN active THEN 'trades' ELSE 'menu' END,
       CASE WHEN active
            THEN jsonb_build_object('job', jsonb_build_object('trades', NULL, 'where', '', 'hours', '', 'start', '', 'barriers', NULL),
                                    'touched', $5::timestamptz)
            ELSE jsonb_build_object('touched', $5::timestamptz) END,
       10, 10, $5
  FROM p`, firstID, total, active, flows.ConsentTextVersion, now)
	if err != nil {
		return 0, fmt.Errorf("bench: seeding people: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := x.ExecContext(ctx, `ANALYZE people; ANALYZE consents; ANALYZE conversations`); err != nil {
		return 0, err
	}
	return n, nil
}
