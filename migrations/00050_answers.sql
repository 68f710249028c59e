-- +goose Up
-- The last version of each conversation whose answer went out. Answers are
-- sent after the commit, so a process that dies in between leaves
-- answered_version < version, and another process asks the person's
-- question again (bot/answers.go). No index: it would stop the updates of
-- every save from being HOT, and the sweep that reads it is rare.
ALTER TABLE conversations ADD COLUMN answered_version bigint NOT NULL DEFAULT 0;
UPDATE conversations SET answered_version = version;

-- +goose Down
ALTER TABLE conversations DROP COLUMN answered_version;
