-- +goose Up
-- The staff desk in the browser (issue 19): an account per staff member
-- who redeemed an invite on the web (login, argon2id password hash, TOTP
-- secret), and their sessions (token hashes only).
CREATE TABLE desk_accounts (
    staff_id        bigint      PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    login           text        NOT NULL UNIQUE,
    password_hash   text        NOT NULL,
    totp_secret     text        NOT NULL,
    totp_last_step  bigint      NOT NULL DEFAULT 0, -- a code is good once
    failed          int         NOT NULL DEFAULT 0, -- wrong sign-ins in a row
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL
);

CREATE TABLE desk_sessions (
    token_hash   bytea       PRIMARY KEY,
    staff_id     bigint      NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    csrf         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX desk_sessions_staff ON desk_sessions (staff_id) WHERE ended_at IS NULL;

-- +goose Down
DROP TABLE desk_sessions;
DROP TABLE desk_accounts;
