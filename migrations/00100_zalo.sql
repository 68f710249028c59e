-- +goose Up
-- Zalo Official Account: one token pair per OA, refreshed under this row's
-- lock by one process (refresh tokens are single-use); needs_admin says why
-- the pair became unusable until an admin connects the OA again.
CREATE TABLE zalo_tokens (
    oa_id              text PRIMARY KEY,
    access_token       text NOT NULL,
    refresh_token      text NOT NULL,
    access_expires_at  timestamptz NOT NULL,
    refresh_expires_at timestamptz NOT NULL,
    refreshed_at       timestamptz NOT NULL,
    needs_admin        text,
    needs_admin_at     timestamptz
);

-- Zalo's free-reply window per follower: the last time they wrote (or
-- pressed, followed, shared) and how many replies went out since.
CREATE TABLE zalo_window (
    oa_id               text NOT NULL,
    user_id             text NOT NULL,
    last_interaction_at timestamptz NOT NULL,
    replies             integer NOT NULL DEFAULT 0,
    PRIMARY KEY (oa_id, user_id)
);

-- Paid sends (ZNS template messages) per OA and calendar month, capped by
-- ZALO_PAID_MONTHLY_CAP.
CREATE TABLE zalo_paid (
    oa_id  text NOT NULL,
    month  date NOT NULL,
    sends  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (oa_id, month)
);

-- +goose Down
DROP TABLE zalo_paid;
DROP TABLE zalo_window;
DROP TABLE zalo_tokens;
