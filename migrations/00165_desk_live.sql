-- +goose Up
-- The desk's work shown in Telegram (issue 19): what a counsellor did on
-- the web (answer, note, take, close, reopen) waits here until the bot
-- has posted it in the case's topic, so a crash delays the post but never
-- drops it. One row per case event, only for events made at the desk.
CREATE TABLE desk_mirror (
    event_id  bigint      PRIMARY KEY REFERENCES case_events (id) ON DELETE CASCADE,
    case_id   bigint      NOT NULL REFERENCES cases (id) ON DELETE CASCADE ON UPDATE CASCADE,
    posted_at timestamptz,
    error     text
);
CREATE INDEX desk_mirror_pending ON desk_mirror (case_id, event_id) WHERE posted_at IS NULL AND error IS NULL;

-- +goose Down
DROP TABLE desk_mirror;
