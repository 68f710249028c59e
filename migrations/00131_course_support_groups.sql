-- +goose Up
-- Training support depends on the learner group (Decision 46/2015/QĐ-TTg):
-- one estimate per group, 0 where the course data gives none. The single
-- support_vnd said nothing of whom it was for, so it is no longer shown;
-- it stays, unread, so no figure is lost, until a course file with the
-- per-group columns is imported. Adding columns with a constant default
-- rewrites no rows.
ALTER TABLE courses
    ADD COLUMN support_disability_vnd           bigint NOT NULL DEFAULT 0 CHECK (support_disability_vnd >= 0),
    ADD COLUMN support_poor_ethnic_minority_vnd bigint NOT NULL DEFAULT 0 CHECK (support_poor_ethnic_minority_vnd >= 0),
    ADD COLUMN support_ethnic_minority_vnd      bigint NOT NULL DEFAULT 0 CHECK (support_ethnic_minority_vnd >= 0),
    ADD COLUMN support_poor_vnd                 bigint NOT NULL DEFAULT 0 CHECK (support_poor_vnd >= 0),
    ADD COLUMN support_near_poor_vnd            bigint NOT NULL DEFAULT 0 CHECK (support_near_poor_vnd >= 0),
    ADD COLUMN support_other_vnd                bigint NOT NULL DEFAULT 0 CHECK (support_other_vnd >= 0);
COMMENT ON COLUMN courses.support_vnd IS 'before 00131: one support figure for every learner; no longer read';
-- The course flow reads the priority groups of the person's latest job or
-- course request, closed ones included.
CREATE INDEX cases_person_latest ON cases (person_id, updated_at DESC);

-- +goose Down
DROP INDEX cases_person_latest;
ALTER TABLE courses
    DROP COLUMN support_disability_vnd,
    DROP COLUMN support_poor_ethnic_minority_vnd,
    DROP COLUMN support_ethnic_minority_vnd,
    DROP COLUMN support_poor_vnd,
    DROP COLUMN support_near_poor_vnd,
    DROP COLUMN support_other_vnd;
COMMENT ON COLUMN courses.support_vnd IS NULL;
