-- +goose Up
-- Staff groups by scope (issue 16): each Telegram group bound with /setup
-- covers a set of communes (empty: the whole province). A case opens its
-- topic only in a group covering its commune. The group bound before this
-- release (settings 'staff_group') becomes a province-wide group.
CREATE TABLE staff_groups (
    chat_id  bigint PRIMARY KEY,
    communes text[]      NOT NULL DEFAULT '{}',
    bound_by bigint      REFERENCES staff (id) ON DELETE SET NULL,
    bound_at timestamptz NOT NULL
);
INSERT INTO staff_groups (chat_id, bound_at)
SELECT value::bigint, updated_at FROM settings WHERE key = 'staff_group' AND value ~ '^-?[0-9]+$';

-- Who the bot knows to be in a staff group (Telegram lets a bot list only
-- the administrators): learnt from chat_member updates, messages and
-- getChatAdministrators. status is Telegram's, or 'removed' (the bot took
-- them out) or 'refused' (Telegram would not let the bot; admins told).
CREATE TABLE group_members (
    chat_id          bigint      NOT NULL REFERENCES staff_groups (chat_id) ON DELETE CASCADE,
    telegram_user_id bigint      NOT NULL,
    first_name       text        NOT NULL DEFAULT '',
    status           text        NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (chat_id, telegram_user_id)
);

-- Messages the bot posted about a case outside its topic (a counsellor's
-- private chat: the card, relayed messages), so that an erasure deletes
-- them too. On erasure case_id is cleared and erase_at set; the sweep
-- deletes the message and then the row.
CREATE TABLE case_posts (
    id         bigserial PRIMARY KEY,
    case_id    bigint      REFERENCES cases (id) ON DELETE SET NULL ON UPDATE CASCADE,
    chat_id    bigint      NOT NULL,
    message_id integer     NOT NULL,
    posted_at  timestamptz NOT NULL,
    erase_at   timestamptz
);
CREATE INDEX case_posts_case ON case_posts (case_id);
CREATE INDEX case_posts_erase ON case_posts (id) WHERE erase_at IS NOT NULL;

-- An erased person's cases get a new number, so nothing left in Telegram
-- (a counsellor's memory of "#12") matches the anonymous record: the rows
-- pointing at a case follow its new number.
ALTER TABLE case_events DROP CONSTRAINT case_events_case_id_fkey,
    ADD CONSTRAINT case_events_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_case_id_fkey,
    ADD CONSTRAINT audit_log_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE staff DROP CONSTRAINT staff_private_case_id_fkey,
    ADD CONSTRAINT staff_private_case_id_fkey FOREIGN KEY (private_case_id) REFERENCES cases (id) ON DELETE SET NULL ON UPDATE CASCADE;

-- +goose Down
ALTER TABLE staff DROP CONSTRAINT staff_private_case_id_fkey,
    ADD CONSTRAINT staff_private_case_id_fkey FOREIGN KEY (private_case_id) REFERENCES cases (id) ON DELETE SET NULL;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_case_id_fkey,
    ADD CONSTRAINT audit_log_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE SET NULL;
ALTER TABLE case_events DROP CONSTRAINT case_events_case_id_fkey,
    ADD CONSTRAINT case_events_case_id_fkey FOREIGN KEY (case_id) REFERENCES cases (id) ON DELETE CASCADE;
DROP TABLE case_posts;
DROP TABLE group_members;
DROP TABLE staff_groups;
