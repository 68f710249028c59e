-- +goose Up
-- Telegram's updates now go through the intake inbox like every channel's
-- events (channel 'telegram', event id = update id, address = chat id):
-- written in batches as they arrive, acknowledged once durable, handled
-- in order per chat. The update ids of updates_seen move there.
INSERT INTO inbox (channel, event_id, address, received_at, handled_at)
SELECT 'telegram', update_id::text, '', handled_at, handled_at FROM updates_seen
ON CONFLICT (channel, event_id) DO NOTHING;
DROP TABLE updates_seen;

-- +goose Down
CREATE TABLE updates_seen (
    update_id  bigint      PRIMARY KEY,
    handled_at timestamptz NOT NULL
);
INSERT INTO updates_seen (update_id, handled_at)
SELECT event_id::bigint, handled_at FROM inbox WHERE channel = 'telegram' AND handled_at IS NOT NULL;
DELETE FROM inbox WHERE channel = 'telegram';
