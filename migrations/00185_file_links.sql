-- +goose Up
-- Files a channel cannot carry (issue 13: Zalo sends PDF/DOC/DOCX only,
-- so a /mydata export cannot go there as a file) reach the person as an
-- expiring download link. Only the SHA-256 of the link's token is kept:
-- the database alone cannot open a link. The person's erasure deletes
-- their rows (store/rights.go); the housekeeping job prunes expired ones.
CREATE TABLE file_links (
    token_hash bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
    person_id  bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    name       text        NOT NULL,
    mime       text        NOT NULL,
    data       bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    fetches    integer     NOT NULL DEFAULT 0
);
CREATE INDEX file_links_person ON file_links (person_id);
CREATE INDEX file_links_expires ON file_links (expires_at);

-- +goose Down
DROP TABLE file_links;
