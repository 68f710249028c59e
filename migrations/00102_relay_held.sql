-- +goose Up
-- A counsellor's answer that the person's channel allows only later
-- (Zalo's templates go by day) stays pending; held_until notes that it
-- waits, so that the case's topic is told once, not at every retry.
ALTER TABLE case_events ADD COLUMN held_until timestamptz;

-- +goose Down
ALTER TABLE case_events DROP COLUMN held_until;
