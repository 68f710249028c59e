-- +goose Up
-- The desk's sign-in (issue 19): one-time recovery codes that stand in
-- for a TOTP code (hashes only; a new set replaces the old), and failed
-- sign-ins counted per client address in a fixed window, shared by every
-- process serving the desk.
CREATE TABLE desk_recovery_codes (
    staff_id   bigint      NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE desk_signin_limits (
    addr         text        PRIMARY KEY,
    window_start timestamptz NOT NULL,
    failures     int         NOT NULL
);
CREATE INDEX desk_signin_limits_window ON desk_signin_limits (window_start);

-- +goose Down
DROP TABLE desk_signin_limits;
DROP TABLE desk_recovery_codes;
