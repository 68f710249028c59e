-- +goose Up
-- Reminders and follow-ups the bot sends on its own: the day before a loan
-- appointment, three days before a course starts, and 30 and 90 days after
-- a case closes. Planned from appointments and cases, each sent at most
-- once (UNIQUE (kind, ref_id)); ref_id is the appointment (loan_day) or the
-- case (course_start, followup_30, followup_90).
CREATE TABLE reminders (
    id          bigserial PRIMARY KEY,
    person_id   bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind        text        NOT NULL CHECK (kind IN ('loan_day', 'course_start', 'followup_30', 'followup_90')),
    ref_id      bigint      NOT NULL,
    due_at      timestamptz NOT NULL,
    status      text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    answer      text,
    answered_at timestamptz,
    reason      text,
    UNIQUE (kind, ref_id)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE status = 'pending';
CREATE INDEX reminders_person ON reminders (person_id);

-- The person's answer to the follow-ups, for the monthly figures.
ALTER TABLE cases ADD COLUMN followup_30 text;
ALTER TABLE cases ADD COLUMN followup_90 text;

-- When erasure moves a case or an appointment to an anonymous record, its
-- reminders follow it (they must not tie the account to the case), and
-- the ones not yet sent are skipped.
-- +goose StatementBegin
CREATE FUNCTION reminders_follow_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reminders
       SET person_id = NEW.person_id,
           reason = CASE WHEN status = 'pending' THEN 'erased' ELSE reason END,
           status = CASE WHEN status = 'pending' THEN 'skipped' ELSE status END
     WHERE ref_id = NEW.id AND person_id = OLD.person_id
       AND (CASE WHEN TG_TABLE_NAME = 'appointments' THEN kind = 'loan_day' ELSE kind <> 'loan_day' END);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER cases_reminders_follow AFTER UPDATE OF person_id ON cases
    FOR EACH ROW WHEN (OLD.person_id IS DISTINCT FROM NEW.person_id) EXECUTE FUNCTION reminders_follow_person();
CREATE TRIGGER appointments_reminders_follow AFTER UPDATE OF person_id ON appointments
    FOR EACH ROW WHEN (OLD.person_id IS DISTINCT FROM NEW.person_id) EXECUTE FUNCTION reminders_follow_person();

-- +goose Down
DROP TRIGGER appointments_reminders_follow ON appointments;
DROP TRIGGER cases_reminders_follow ON cases;
DROP FUNCTION reminders_follow_person();
ALTER TABLE cases DROP COLUMN followup_90;
ALTER TABLE cases DROP COLUMN followup_30;
DROP TABLE reminders;
