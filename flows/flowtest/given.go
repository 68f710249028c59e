// Package flowtest holds the fixtures the golden transcripts name
// ("given": consented, profile, no_courses, ...), so that every channel's
// replay of the transcripts (flows, Telegram, Zalo) starts from the same
// rows. Test support only: it writes straight into the tables.
package flowtest

import (
	"context"
	"fmt"
	"time"

	"reentrybot/flows"
	"reentrybot/store"
)

// Given writes the fixture named what for person, at now.
func Given(ctx context.Context, tx *store.Tx, person int64, what string, now time.Time) error {
	switch what {
	case "consented":
		for _, p := range flows.Purposes {
			if err := tx.RecordConsent(ctx, flows.Consent{PersonID: person, Purpose: p, Granted: true, TextVersion: flows.ConsentTextVersion, At: now}); err != nil {
				return err
			}
		}
	case "declined":
		for _, p := range flows.Purposes {
			if err := tx.RecordConsent(ctx, flows.Consent{PersonID: person, Purpose: p, Granted: false, TextVersion: flows.ConsentTextVersion, At: now}); err != nil {
				return err
			}
		}
	case "legacy":
		// Consents given before "other" had a purpose of its own.
		for _, p := range []flows.Purpose{flows.PurposeJob, flows.PurposeTraining, flows.PurposeLoan, flows.PurposeAnnouncements} {
			if err := tx.RecordConsent(ctx, flows.Consent{PersonID: person, Purpose: p, Granted: true, TextVersion: "2026-11-v1", At: now}); err != nil {
				return err
			}
		}
	case "counsel_case":
		_, err := tx.X.ExecContext(ctx, `INSERT INTO cases (person_id, kind, commune_code, opened_at, answers)
VALUES ($1, 'other', '07339', $2, '{"reason": "Tôi cần hỏi"}')`, person, now.Add(-time.Hour))
		return err
	case "job_priority":
		// A closed job request that named priority groups (the course flow
		// ticks them for its own question).
		_, err := tx.X.ExecContext(ctx, `INSERT INTO cases (person_id, kind, status, commune_code, opened_at, updated_at, closed_at, outcome, answers)
VALUES ($1, 'job', 'closed', '07339', $2, $2, $2, 'placed', '{"trades": ["garment"], "priority": ["ethnic_minority", "poor"]}')`, person, now.Add(-48*time.Hour))
		return err
	case "profile":
		return tx.SaveProfile(ctx, person, flows.Profile{
			FullName: "Nguyễn Văn An", BirthYear: 1990, Gender: "male", Phone: "+84912345678",
			CommuneCode: "07339", Education: "upper_secondary",
		})
	case "returned":
		_, err := tx.X.ExecContext(ctx, `UPDATE people SET sentence_end = '2019-03-01' WHERE id = $1`, person)
		return err
	case "no_courses":
		_, err := tx.X.ExecContext(ctx, `DELETE FROM courses`)
		return err
	case "no_loan_days":
		_, err := tx.X.ExecContext(ctx, `DELETE FROM loan_days`)
		return err
	case "full_loan_days":
		_, err := tx.X.ExecContext(ctx, `UPDATE loan_days SET capacity = 0`)
		return err
	default:
		return fmt.Errorf("unknown fixture %q", what)
	}
	return nil
}
