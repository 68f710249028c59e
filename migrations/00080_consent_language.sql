-- +goose Up
-- The language the consent text was shown in (issue 16): with the
-- text version, it names exactly what the person read. Decisions recorded
-- before this column existed stay NULL: the language then is not known.
ALTER TABLE consents ADD COLUMN language text;

-- +goose Down
ALTER TABLE consents DROP COLUMN language;
