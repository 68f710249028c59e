-- +goose Up
-- Events of the channels other than Telegram (package channel), keyed as
-- the messengers name them: a redelivered event is recognised and handled
-- once. No personal data: the messenger's event id and when it was handled.
CREATE TABLE channel_events (
    channel    text        NOT NULL,
    event_id   text        NOT NULL,
    handled_at timestamptz NOT NULL,
    PRIMARY KEY (channel, event_id)
);
CREATE INDEX channel_events_handled_at ON channel_events (handled_at);

-- The numbered list last shown to a person whose messenger has too few
-- buttons for a step: {"version": N, "ids": [...]}; typing "2" answers
-- ids[1] at that version (a newer step makes it stale, as with buttons).
ALTER TABLE conversations ADD COLUMN menu jsonb;

-- +goose Down
ALTER TABLE conversations DROP COLUMN menu;
DROP TABLE channel_events;
