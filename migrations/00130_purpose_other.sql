-- +goose Up
-- "Meet a counsellor" and "papers & other help" rest on a purpose of their
-- own (issue 17, item 7) instead of borrowing the job purpose's consent.
ALTER TABLE consents DROP CONSTRAINT consents_purpose_check;
ALTER TABLE consents ADD CONSTRAINT consents_purpose_check
    CHECK (purpose IN ('job', 'training', 'loan', 'other', 'announcements'));

-- +goose Down
-- The older schema cannot hold a decision about 'other': those rows go.
DELETE FROM consents WHERE purpose = 'other';
ALTER TABLE consents DROP CONSTRAINT consents_purpose_check;
ALTER TABLE consents ADD CONSTRAINT consents_purpose_check
    CHECK (purpose IN ('job', 'training', 'loan', 'announcements'));
