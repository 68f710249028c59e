-- +goose Up
-- A person who chats with the bot. Profile columns stay NULL until the
-- person has consented and answered.
CREATE TABLE people (
    id              bigserial PRIMARY KEY,
    channel         text        NOT NULL DEFAULT 'telegram',
    external_id     text        NOT NULL,
    chat_ref        text        NOT NULL,
    language        text        NOT NULL DEFAULT 'vi',
    full_name       text,
    birth_year      integer,
    gender          text,
    phone           text,
    commune_code    text,
    sentence_end    date,
    education       text,
    reachable       boolean     NOT NULL DEFAULT true,
    unreachable_at  timestamptz,
    unreachable_why text,
    announcements_off boolean   NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel, external_id)
);
CREATE INDEX people_chat_ref ON people (channel, chat_ref);

-- One conversation per person: the flow, its state name and its answers.
-- The state machine itself is rebuilt from this row on every update.
CREATE TABLE conversations (
    person_id  bigint      PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    flow       text        NOT NULL DEFAULT '',
    state      text        NOT NULL DEFAULT '',
    data       jsonb       NOT NULL DEFAULT '{}',
    version    bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Telegram update ids already handled, so a redelivered update (webhook
-- retry, restart before the offset moved) is not handled twice.
CREATE TABLE updates_seen (
    update_id  bigint      PRIMARY KEY,
    handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX updates_seen_handled_at ON updates_seen (handled_at);

CREATE TABLE staff (
    id               bigserial PRIMARY KEY,
    telegram_user_id bigint UNIQUE,
    role             text        NOT NULL CHECK (role IN ('admin', 'counsellor', 'officer')),
    communes         text[]      NOT NULL DEFAULT '{}',
    display_name     text        NOT NULL,
    active           boolean     NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz
);

-- +goose Down
DROP TABLE staff;
DROP TABLE updates_seen;
DROP TABLE conversations;
DROP TABLE people;
