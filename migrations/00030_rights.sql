-- +goose Up
-- Courses get a stable code, so a course file can be imported again and
-- again (upsert by code). A course added without one gets 'auto-<id>'.
ALTER TABLE courses ADD COLUMN code text;
UPDATE courses SET code = 'auto-' || id;
ALTER TABLE courses ALTER COLUMN code SET NOT NULL;
CREATE UNIQUE INDEX courses_code ON courses (code);

-- +goose StatementBegin
CREATE FUNCTION courses_default_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.code IS NULL OR NEW.code = '' THEN
        NEW.code := 'auto-' || NEW.id;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER courses_default_code BEFORE INSERT ON courses
    FOR EACH ROW EXECUTE FUNCTION courses_default_code();

-- An erased person's cases and appointments are kept for the figures,
-- attached to an anonymous record (channel 'erased') holding only the
-- month of registration and the commune; erased_at marks such records.
ALTER TABLE people ADD COLUMN erased_at timestamptz;
CREATE INDEX people_last_seen ON people (last_seen_at) WHERE erased_at IS NULL;

-- For the monthly report.
CREATE INDEX cases_opened_at ON cases (opened_at);
CREATE INDEX cases_closed_at ON cases (closed_at) WHERE closed_at IS NOT NULL;

-- +goose Down
DROP INDEX cases_closed_at;
DROP INDEX cases_opened_at;
DROP INDEX people_last_seen;
ALTER TABLE people DROP COLUMN erased_at;
DROP TRIGGER courses_default_code ON courses;
DROP FUNCTION courses_default_code();
DROP INDEX courses_code;
ALTER TABLE courses DROP COLUMN code;
