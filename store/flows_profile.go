package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"reentrybot/domain"
)

const consentsSQL = `
SELECT DISTINCT ON (purpose) purpose, granted
  FROM consents WHERE person_id = $1
 ORDER BY purpose, decided_at DESC, id DESC`

// Consents returns the person's latest decision per purpose.
func (tx *Tx) Consents(ctx context.Context, personID int64) (map[domain.Purpose]bool, error) {
	var rows []struct {
		Purpose string `db:"purpose"`
		Granted bool   `db:"granted"`
	}
	if err := tx.X.SelectContext(ctx, &rows, consentsSQL, personID); err != nil {
		return nil, fmt.Errorf("reading consents of %d: %w", personID, err)
	}
	out := make(map[domain.Purpose]bool, len(rows))
	for _, r := range rows {
		out[domain.Purpose(r.Purpose)] = r.Granted
	}
	return out, nil
}

// recordConsentSQL appends a decision with the person's channel (the flows
// do not know it) and evidence token, giving the person one if they have
// none yet.
const recordConsentSQL = `
WITH p AS (
    UPDATE people SET evidence_token = coalesce(evidence_token, gen_random_uuid())
     WHERE id = $1 RETURNING id, channel, evidence_token)
INSERT INTO consents (person_id, purpose, granted, text_version, text_hash, language, decided_at, channel, evidence)
SELECT p.id, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), $7, p.channel, p.evidence_token FROM p`

// RecordConsent appends a grant or a withdrawal.
func (tx *Tx) RecordConsent(ctx context.Context, c domain.Consent) error {
	at := tx.db.at(c.At)
	res, err := tx.X.ExecContext(ctx, recordConsentSQL, c.PersonID, string(c.Purpose), c.Granted, c.TextVersion, c.TextHash, c.Lang, at.UTC())
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("recording consent %s of %d: %w", c.Purpose, c.PersonID, err)
	}
	return nil
}

type profileRow struct {
	FullName         sql.NullString `db:"full_name"`
	BirthYear        sql.NullInt64  `db:"birth_year"`
	Gender           sql.NullString `db:"gender"`
	Phone            sql.NullString `db:"phone"`
	CommuneCode      sql.NullString `db:"commune_code"`
	CommuneName      sql.NullString `db:"commune_name"`
	SentenceEnd      sql.NullTime   `db:"sentence_end"`
	Education        sql.NullString `db:"education"`
	VTSupportBefore  sql.NullBool   `db:"vt_support_before"`
	VTSupportUnknown bool           `db:"vt_support_unknown"`
}

const profileSQL = `
SELECT p.full_name, p.birth_year, p.gender, p.phone, p.commune_code, c.name AS commune_name,
       p.sentence_end, p.education, p.vt_support_before, p.vt_support_unknown
  FROM people p LEFT JOIN communes c ON c.code = p.commune_code
 WHERE p.id = $1`

// Profile reads the person's profile.
func (tx *Tx) Profile(ctx context.Context, personID int64) (domain.Profile, error) {
	var r profileRow
	if err := tx.X.GetContext(ctx, &r, profileSQL, personID); err != nil {
		return domain.Profile{}, fmt.Errorf("reading profile of %d: %w", personID, notFound(err))
	}
	p := domain.Profile{
		FullName:         r.FullName.String,
		BirthYear:        int(r.BirthYear.Int64),
		Gender:           r.Gender.String,
		Phone:            r.Phone.String,
		CommuneCode:      r.CommuneCode.String,
		CommuneName:      r.CommuneName.String,
		Education:        r.Education.String,
		VTSupportUnknown: r.VTSupportUnknown,
	}
	if r.SentenceEnd.Valid {
		t := time.Date(r.SentenceEnd.Time.Year(), r.SentenceEnd.Time.Month(), r.SentenceEnd.Time.Day(), 0, 0, 0, 0, time.UTC)
		p.SentenceEnd = &t
	}
	if r.VTSupportBefore.Valid {
		b := r.VTSupportBefore.Bool
		p.VTSupportBefore = &b
	}
	return p, nil
}

const saveProfileSQL = `
UPDATE people
   SET full_name = $2, birth_year = $3, gender = $4, phone = $5, commune_code = $6,
       sentence_end = $7, education = $8, vt_support_before = $9,
       vt_support_unknown = $10
 WHERE id = $1`

// SaveProfile writes every profile field; empty values are stored as NULL.
func (tx *Tx) SaveProfile(ctx context.Context, personID int64, p domain.Profile) error {
	var end any
	if p.SentenceEnd != nil {
		end = p.SentenceEnd.Format("2006-01-02")
	}
	var vt any
	if p.VTSupportBefore != nil {
		vt = *p.VTSupportBefore
	}
	_, err := tx.X.ExecContext(ctx, saveProfileSQL, personID,
		flowsNullStr(p.FullName), flowsNullInt(p.BirthYear), flowsNullStr(p.Gender), flowsNullStr(p.Phone),
		flowsNullStr(p.CommuneCode), end, flowsNullStr(p.Education), vt, p.VTSupportUnknown)
	if err != nil {
		return fmt.Errorf("saving profile of %d: %w", personID, err)
	}
	return nil
}

func flowsNullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func flowsNullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}
