-- +goose Up
-- The intake inbox of the channels other than Telegram (package channel):
-- every event is written here first, in batches, and the messenger is
-- answered as soon as it is durable; then it is handled once, in order per
-- person, by whichever process holds that person (an advisory lock on the
-- address). Keyed as the messengers name events, so a redelivery is
-- recognised. The payload holds what the person wrote: it is cleared when
-- the event is handled, and handled rows are pruned after a week.
CREATE TABLE inbox (
    id          bigserial   PRIMARY KEY,
    channel     text        NOT NULL,
    event_id    text        NOT NULL,
    address     text        NOT NULL,
    event       jsonb,
    received_at timestamptz NOT NULL,
    handled_at  timestamptz,
    UNIQUE (channel, event_id)
);
CREATE INDEX inbox_pending ON inbox (channel, address, id) WHERE handled_at IS NULL;
CREATE INDEX inbox_handled_at ON inbox (handled_at) WHERE handled_at IS NOT NULL;

-- The numbered list last shown to a person whose messenger has too few
-- buttons for a step: {"version": N, "ids": [...], "shown_at": ...};
-- typing "2" answers ids[1] at that version (a newer step makes it stale,
-- as with buttons).
ALTER TABLE conversations ADD COLUMN menu jsonb;

-- +goose Down
ALTER TABLE conversations DROP COLUMN menu;
DROP TABLE inbox;
