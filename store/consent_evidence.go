package store

import (
	"context"
	"fmt"
	"regexp"
)

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// consentColumns are a decision's columns as the export and the evidence
// lookup show them.
const consentColumns = `purpose, granted, text_version, coalesce(text_hash, '') AS text_hash,
       coalesce(language, '') AS language, coalesce(channel, '') AS channel, decided_at,
       coalesce(evidence::text, '') AS evidence`

// ConsentEvidence lists the decisions that carry an evidence token, oldest
// first, whether or not their person was erased: a person (or the
// authority they complain to) brings the token from their own export, and
// the history recorded under it is shown. It names no one.
func ConsentEvidence(ctx context.Context, db *DB, token string) ([]ConsentRecord, error) {
	if !uuidRE.MatchString(token) {
		return nil, fmt.Errorf("evidence token %q: not a token from an export", token)
	}
	out := []ConsentRecord{}
	if err := db.X.SelectContext(ctx, &out, `SELECT `+consentColumns+` FROM consents WHERE evidence = $1 ORDER BY decided_at, id`, token); err != nil {
		return nil, fmt.Errorf("reading the consents of evidence %s: %w", token, err)
	}
	return out, nil
}
