-- +goose Up
-- One-time invitations that bind a Telegram account to a staff record.
-- Only the SHA-256 of the code is kept.
CREATE TABLE staff_invites (
    id         bigserial PRIMARY KEY,
    staff_id   bigint      NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    used_by    bigint
);

-- The case a counsellor is answering from their private chat (/take N
-- until /done), when they work without the staff group.
ALTER TABLE staff ADD COLUMN private_case_id bigint REFERENCES cases (id) ON DELETE SET NULL;

-- Workspace settings, e.g. the staff group's chat id.
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Everything said and done on a case, in order. Messages that must cross
-- to the other side (returnee → topic, counsellor → returnee) are relayed
-- from here after commit, so a crash delays them but never drops them.
CREATE TABLE case_events (
    id          bigserial PRIMARY KEY,
    case_id     bigint      NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL CHECK (actor IN ('returnee', 'staff', 'system')),
    staff_id    bigint      REFERENCES staff (id),
    kind        text        NOT NULL,
    body        text,
    media       text,
    src_chat_id bigint,
    src_msg_id  integer,
    relay_to    text CHECK (relay_to IN ('topic', 'returnee')),
    relayed_at  timestamptz,
    relay_error text
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE INDEX case_events_pending ON case_events (id) WHERE relay_to IS NOT NULL AND relayed_at IS NULL AND relay_error IS NULL;

-- Who among the staff did or saw what, on which case. Refused attempts by
-- non-staff land here too (staff_id NULL, telegram_user_id set).
CREATE TABLE audit_log (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL DEFAULT now(),
    staff_id         bigint      REFERENCES staff (id),
    telegram_user_id bigint,
    action           text        NOT NULL,
    case_id          bigint      REFERENCES cases (id) ON DELETE SET NULL,
    detail           text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_case ON audit_log (case_id, at);
CREATE INDEX audit_log_staff ON audit_log (staff_id, at);

-- When the person was last told that counsellors are off duty, so they are
-- told at most once per off-duty period.
ALTER TABLE people ADD COLUMN off_hours_notice_at timestamptz;
ALTER TABLE cases ADD COLUMN topic_card_msg_id integer;

-- +goose Down
ALTER TABLE cases DROP COLUMN topic_card_msg_id;
ALTER TABLE people DROP COLUMN off_hours_notice_at;
DROP TABLE audit_log;
DROP TABLE case_events;
DROP TABLE settings;
ALTER TABLE staff DROP COLUMN private_case_id;
DROP TABLE staff_invites;
