-- +goose Up
-- A file a returnee sends on a messenger other than the counsellors'
-- (Zalo) reaches the case's topic as the file itself (issue 13): the event
-- keeps where the person's channel can fetch it until it is relayed. An
-- erasure blanks both with the rest of the event (store/rights.go).
ALTER TABLE case_events
    ADD COLUMN media_ref  text,
    ADD COLUMN media_name text;

-- +goose Down
ALTER TABLE case_events DROP COLUMN media_ref, DROP COLUMN media_name;
