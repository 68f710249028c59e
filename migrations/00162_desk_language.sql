-- +goose Up
-- The language a member picked on the desk (issue 19): their pages follow
-- it on any browser they sign in from; NULL follows the browser's.
ALTER TABLE desk_accounts ADD COLUMN language text CHECK (language IN ('vi', 'en'));

-- +goose Down
ALTER TABLE desk_accounts DROP COLUMN language;
