package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"reentrybot/flows"
	"reentrybot/store"
)

// exportedConsents is the consent part of the person's export, as they
// would keep it.
func exportedConsents(t *testing.T, db *store.DB, id int64) []store.ConsentRecord {
	t.Helper()
	ctx := context.Background()
	var doc struct {
		Consents []store.ConsentRecord `json:"consents"`
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		ex, err := tx.ExportPerson(ctx, id, db.Now())
		if err != nil {
			return err
		}
		return json.Unmarshal(ex.JSON, &doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	return doc.Consents
}

// The consent history outlives the erasure, by /delete and by retention:
// the rows stay, unlinked, and the token of the person's earlier export
// finds exactly the decisions it listed.
func TestConsentEvidenceOutlivesErasure(t *testing.T) {
	for _, how := range []string{"delete", "retention"} {
		t.Run(how, func(t *testing.T) {
			ctx := context.Background()
			db, id, neighbour := rightsFixture(t)
			at := db.Now().Add(time.Hour)
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.RecordConsent(ctx, flows.Consent{PersonID: id, Purpose: flows.PurposeJob, Granted: false, TextVersion: "v2",
					TextHash: "2adbd362cd2d68981e8c4252a362f559577727a99935571db4449e7610a5afcf", Lang: "vi", At: at})
			})
			if err != nil {
				t.Fatal(err)
			}
			before := exportedConsents(t, db, id)
			last := len(flows.Purposes) // one decision per purpose in the fixture, then the withdrawal
			if len(before) != last+1 || before[0].Evidence == "" || before[last].Evidence != before[0].Evidence || before[last].Channel != "telegram" || before[last].Granted {
				t.Fatalf("export's consents: %+v", before)
			}
			if other := exportedConsents(t, db, neighbour); len(other) > 0 && other[0].Evidence == before[0].Evidence {
				t.Fatal("two people share an evidence token")
			}
			switch how {
			case "delete":
				err = db.InTx(ctx, func(tx *store.Tx) error { return tx.ErasePerson(ctx, id, at.Add(time.Hour)) })
			case "retention":
				_, err = store.RunRetention(ctx, db, at.AddDate(3, 0, 0), 24)
			}
			if err != nil {
				t.Fatal(err)
			}
			after, err := store.ConsentEvidence(ctx, db, before[0].Evidence)
			if err != nil {
				t.Fatal(err)
			}
			for i := range before {
				before[i].DecidedAt = before[i].DecidedAt.UTC()
			}
			for i := range after {
				after[i].DecidedAt = after[i].DecidedAt.UTC()
			}
			if !reflect.DeepEqual(before, after) {
				t.Errorf("after %s the evidence differs:\nexport: %+v\nkept:   %+v", how, before, after)
			}
			var linked int
			if err := db.X.Get(&linked, `SELECT count(*) FROM consents WHERE evidence = $1 AND person_id IS NOT NULL`, before[0].Evidence); err != nil || linked != 0 {
				t.Errorf("%d evidence rows still name a person (%v)", linked, err)
			}
			var tokens int
			if err := db.X.Get(&tokens, `SELECT count(*) FROM people WHERE evidence_token = $1`, before[0].Evidence); err != nil || tokens != 0 {
				t.Errorf("%d people still hold the token (%v)", tokens, err)
			}
		})
	}
}

func TestConsentEvidenceRefusesWhatIsNoToken(t *testing.T) {
	db, _ := newDB(t)
	for _, tok := range []string{"", "x", "'; DROP TABLE consents; --", "00000000-0000-0000-0000-00000000000g"} {
		if _, err := store.ConsentEvidence(context.Background(), db, tok); err == nil {
			t.Errorf("token %q accepted", tok)
		}
	}
}
