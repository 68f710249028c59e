-- +goose Up
-- Consent evidence that outlives erasure (issue 16, item 3): each decision
-- keeps what was shown (text_hash: SHA-256 of the rendered text, beside the
-- catalog's text_version and the language), on which channel, and a random
-- evidence token. Erasure unlinks the rows (person_id NULL) instead of
-- deleting them; the token, which the person's own export (/mydata) shows,
-- is then the only way to find them again. people.evidence_token is the
-- token of the person's current decisions; erasure drops it, so decisions
-- after an erasure carry a new one.
ALTER TABLE consents ALTER COLUMN person_id DROP NOT NULL;
ALTER TABLE consents ADD COLUMN text_hash text;
ALTER TABLE consents ADD COLUMN channel text;
ALTER TABLE consents ADD COLUMN evidence uuid;
ALTER TABLE people ADD COLUMN evidence_token uuid;
-- Decisions recorded before this migration get a token per person, so that
-- an export taken from now on shows it; their text_hash and channel stay
-- NULL (not known, and the channel is not guessed).
UPDATE people p SET evidence_token = gen_random_uuid()
 WHERE EXISTS (SELECT 1 FROM consents c WHERE c.person_id = p.id);
UPDATE consents c SET evidence = p.evidence_token FROM people p WHERE p.id = c.person_id;
CREATE INDEX consents_evidence ON consents (evidence);

-- +goose Down
DELETE FROM consents WHERE person_id IS NULL;
DROP INDEX consents_evidence;
ALTER TABLE people DROP COLUMN evidence_token;
ALTER TABLE consents DROP COLUMN evidence;
ALTER TABLE consents DROP COLUMN channel;
ALTER TABLE consents DROP COLUMN text_hash;
ALTER TABLE consents ALTER COLUMN person_id SET NOT NULL;
