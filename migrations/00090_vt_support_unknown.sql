-- +goose Up
-- "Had state vocational-training support before?" may be answered "not
-- sure": that is an answer too, so the once-only question is not asked
-- again, and vt_support_before stays NULL beside it.
ALTER TABLE people ADD COLUMN vt_support_unknown boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE people DROP COLUMN vt_support_unknown;
