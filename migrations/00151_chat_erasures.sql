-- +goose Up
-- Erasure reaches the person's own Telegram chat with the bot: the
-- message ids up to the one that asked for erasure are deleted in chunks
-- of 100 (deleteMessages) by the sweep, newest first, until the range is
-- empty. Telegram skips ids it cannot find or may not delete (older than
-- 48 hours); the row holds no personal data beyond the chat id, and goes
-- when done.
CREATE TABLE chat_erasures (
    id         bigserial   PRIMARY KEY,
    chat_id    bigint      NOT NULL,
    from_id    integer     NOT NULL,
    to_id      integer     NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE chat_erasures;
