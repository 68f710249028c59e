package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/clock"
	"reentrybot/flows"
	"reentrybot/store"
)

// scan returns "table.column" for every text, varchar, json and jsonb
// column of the public schema holding one of the needles.
func scan(t *testing.T, x *sqlx.DB, needles ...string) []string {
	t.Helper()
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	if err := x.Select(&cols, `
SELECT table_name, column_name FROM information_schema.columns
 WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')
 ORDER BY table_name, column_name`); err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, c := range cols {
		for _, n := range needles {
			var hit bool
			q := fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %q WHERE strpos(%q::text, $1) > 0)`, c.Table, c.Column)
			if err := x.Get(&hit, q, n); err != nil {
				t.Fatal(err)
			}
			if hit {
				found = append(found, c.Table+"."+c.Column+" has "+n)
			}
		}
	}
	return found
}

// rightsFixture: a person with a profile, consents, a job case with
// messages both ways and a note, a loan appointment next week, a
// conversation in progress; and a neighbour who stays.
func rightsFixture(t *testing.T) (*store.DB, int64, int64) {
	t.Helper()
	ctx := context.Background()
	db, id := newDB(t)
	now := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	db.SetClock(clock.NewFake(now).Now)
	var neighbour int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveProfile(ctx, id, flows.Profile{FullName: "Đỗ Thị Hạnh", BirthYear: 1988, Gender: "female", Phone: "+84987650001", CommuneCode: "07840", Education: "primary"}); err != nil {
			return err
		}
		for _, p := range flows.Purposes {
			if err := tx.RecordConsent(ctx, flows.Consent{PersonID: id, Purpose: p, Granted: true, TextVersion: "v1", At: now}); err != nil {
				return err
			}
		}
		ref, err := tx.SaveCase(ctx, flows.CaseDraft{PersonID: id, Kind: "job", CommuneCode: "07840", At: now,
			Answers: json.RawMessage(`{"trades":["garment","cooking"],"trades_other":"thợ may của Hạnh","skills":"gọi 0987650001"}`)})
		if err != nil {
			return err
		}
		for _, e := range []store.NewEvent{
			{CaseID: ref.ID, Actor: "returnee", Kind: "message", Body: "Tôi là Hạnh, số 0987650001", RelayTo: "topic",
				Media: "document", MediaRef: "https://f1.zdn.vn/cmnd-Hạnh.pdf", MediaName: "cmnd-Hạnh.pdf"}, // the erasure scan finds these too
			{CaseID: ref.ID, Actor: "staff", Kind: "note", Body: "đã gọi chị Hạnh"},
			{CaseID: ref.ID, Actor: "staff", Kind: "message", Body: "Chào chị Hạnh", RelayTo: "returnee"},
		} {
			if _, err := tx.AddCaseEvent(ctx, e); err != nil {
				return err
			}
		}
		var day int64
		if err := tx.X.Get(&day, `INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity)
			VALUES ('07840', '2026-11-27', 'UBND', '07:30', '11:00', 5) RETURNING id`); err != nil {
			return err
		}
		if _, _, err := tx.BookAppointment(ctx, id, day, now); err != nil {
			return err
		}
		if err := tx.SaveConversation(ctx, &flows.Conversation{PersonID: id, Flow: "counsellor", State: "reason", Data: json.RawMessage(`{"counsel":{"reason":"Hạnh hỏi"}}`)}); err != nil {
			return err
		}
		p, err := tx.TouchPerson(ctx, "telegram", "43", "43", "vi")
		neighbour = p.ID
		if err != nil {
			return err
		}
		if err := tx.SaveProfile(ctx, neighbour, flows.Profile{FullName: "Lê Văn Nam", Phone: "+84911111111", CommuneCode: "07840"}); err != nil {
			return err
		}
		// Both registered in November, whatever today's date.
		_, err = tx.X.ExecContext(ctx, `UPDATE people SET created_at = $1, last_seen_at = $1`, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, id, neighbour
}

func TestExportPerson(t *testing.T) {
	ctx := context.Background()
	db, id, _ := rightsFixture(t)
	var ex flows.DataExport
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		ex, err = tx.ExportPerson(ctx, id, db.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Cases != 1 || ex.Appointments != 1 || ex.Messages != 2 {
		t.Errorf("counts %+v", ex)
	}
	var doc struct {
		Person struct {
			Profile map[string]any `json:"profile"`
		} `json:"person"`
		Consents []map[string]any `json:"consents"`
		Cases    []struct {
			Answers map[string]any   `json:"answers"`
			Events  []map[string]any `json:"messages_and_changes"`
		} `json:"cases"`
		Appointments []map[string]any `json:"appointments"`
		Conversation map[string]any   `json:"conversation_in_progress"`
	}
	if err := json.Unmarshal(ex.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	s := string(ex.JSON)
	for _, want := range []string{"Đỗ Thị Hạnh", "+84987650001", "Hiệp Hòa", "Tôi là Hạnh", "Chào chị Hạnh", "thợ may của Hạnh", "Hạnh hỏi", "2026-11-27"} {
		if !strings.Contains(s, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if strings.Contains(s, "đã gọi chị Hạnh") {
		t.Error("the export shows a counsellor's internal note")
	}
	if len(doc.Consents) != len(flows.Purposes) || doc.Person.Profile["birth_year"] != float64(1988) || len(doc.Cases[0].Events) != 2 || doc.Conversation == nil {
		t.Errorf("export: %s", s)
	}
}

func TestErasePerson(t *testing.T) {
	ctx := context.Background()
	db, id, neighbour := rightsFixture(t)
	at := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	// A counsellor's answer from the desk, not yet posted in the topic.
	if _, err := db.X.Exec(`INSERT INTO desk_mirror (event_id, case_id) SELECT id, case_id FROM case_events ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ErasePerson(ctx, id, at) }); err != nil {
		t.Fatal(err)
	}
	if pending, err := db.PendingMirrors(ctx); err != nil || len(pending) != 0 {
		t.Errorf("desk posts still to make after erasure: %v (%v)", pending, err)
	}
	if found := scan(t, db.X, "Hạnh", "987650001"); len(found) > 0 {
		t.Errorf("left after erasure: %v", found)
	}
	if found := scan(t, db.X, "Lê Văn Nam"); len(found) != 1 {
		t.Errorf("the neighbour's data: %v", found)
	}
	// The figures stay: the case (closed, commune, kind, trades), the
	// appointment (cancelled, its place freed), the registration.
	var c struct {
		Status  string `db:"status"`
		Outcome string `db:"outcome"`
		Commune string `db:"commune_code"`
		Answers string `db:"answers"`
		Person  int64  `db:"person_id"`
	}
	if err := db.X.Get(&c, `SELECT status, outcome, commune_code, answers::text AS answers, person_id FROM cases`); err != nil {
		t.Fatal(err)
	}
	if c.Status != "closed" || c.Outcome != store.OutcomeErased || c.Commune != "07840" || c.Person == id ||
		c.Answers != `{"trades": ["garment", "cooking"], "other_trade": true}` {
		t.Errorf("case after erasure: %+v", c)
	}
	var anon struct {
		Channel string `db:"channel"`
		Commune string `db:"commune_code"`
		Erased  bool   `db:"erased"`
	}
	if err := db.X.Get(&anon, `SELECT channel, commune_code, erased_at IS NOT NULL AS erased FROM people WHERE id = $1`, c.Person); err != nil {
		t.Fatal(err)
	}
	if anon.Channel != store.ChannelErased || anon.Commune != "07840" || !anon.Erased {
		t.Errorf("anonymous record %+v", anon)
	}
	var status string
	var owner int64
	if err := db.X.QueryRow(`SELECT status, person_id FROM appointments`).Scan(&status, &owner); err != nil || status != "cancelled" || owner != c.Person {
		t.Errorf("appointment %s of %d (%v)", status, owner, err)
	}
	var events, bodies, pending int
	if err := db.X.QueryRow(`SELECT count(*), count(body), count(*) FILTER (WHERE relay_to IS NOT NULL AND relayed_at IS NULL AND relay_error IS NULL) FROM case_events`).Scan(&events, &bodies, &pending); err != nil {
		t.Fatal(err)
	}
	if events != 3 || bodies != 0 || pending != 0 {
		t.Errorf("events %d, bodies %d, pending relays %d", events, bodies, pending)
	}
	for table, want := range map[string]int{"consents": 0, "conversations": 0} {
		var n int
		if err := db.X.Get(&n, `SELECT count(*) FROM `+table+` WHERE person_id = $1`, id); err != nil || n != want {
			t.Errorf("%s: %d rows (%v)", table, n, err)
		}
	}
	// The person goes on as a new contact with their account.
	p, err := db.PersonByID(ctx, id)
	if err != nil || p.ExternalID != "42" || !p.CreatedAt.Equal(at) {
		t.Errorf("person row %+v %v", p, err)
	}
	// The registration still counts in November, in Hiệp Hòa, through the
	// anonymous record; erasing again does nothing.
	f, err := db.MonthFigures(ctx, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if f.Registrations["07840"] != 2 || len(f.Cases) != 1 || fmt.Sprint(f.Cases[0].Trades) != "[garment cooking]" || !f.Cases[0].OtherTrade {
		t.Errorf("figures after erasure: %+v", f)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ErasePerson(ctx, c.Person, at) }); err != nil {
		t.Errorf("erasing the anonymous record: %v", err)
	}
	_ = neighbour
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	db, id, neighbour := rightsFixture(t)
	now := time.Date(2029, 1, 10, 0, 0, 0, 0, time.UTC)
	// The person was last seen 25 months before now, the neighbour 23; the
	// person's case closed 14 months before now, another one 2.
	if _, err := db.X.Exec(`UPDATE people SET last_seen_at = $2 WHERE id = $1`, id, now.AddDate(0, -25, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.X.Exec(`UPDATE people SET last_seen_at = $2 WHERE id = $1`, neighbour, now.AddDate(0, -23, 0)); err != nil {
		t.Fatal(err)
	}
	var recent int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		ref, err := tx.SaveCase(ctx, flows.CaseDraft{PersonID: neighbour, Kind: "loan", CommuneCode: "07840", At: now.AddDate(0, -3, 0)})
		if err != nil {
			return err
		}
		recent = ref.ID
		if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: ref.ID, Actor: "returnee", Kind: "message", Body: "Nam hỏi vay"}); err != nil {
			return err
		}
		if err := tx.CloseCase(ctx, ref.ID, "loan_referred", now.AddDate(0, -2, 0)); err != nil {
			return err
		}
		_, err = tx.X.Exec(`UPDATE cases SET status = 'closed', closed_at = $1 WHERE id <> $2`, now.AddDate(0, -14, 0), ref.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pre, err := store.PreviewRetention(ctx, db, now, 24)
	if err != nil || pre.People != 1 || pre.Events != 3 || !pre.DryRun {
		t.Fatalf("preview %+v %v", pre, err)
	}
	if found := scan(t, db.X, "Hạnh"); len(found) == 0 {
		t.Fatal("the preview erased something")
	}
	res, err := store.RunRetention(ctx, db, now, 24)
	if err != nil || res.People != 1 || res.Events != 3 {
		t.Fatalf("retention %+v %v", res, err)
	}
	if found := scan(t, db.X, "Hạnh", "987650001"); len(found) > 0 {
		t.Errorf("left after retention: %v", found)
	}
	if _, err := db.PersonByID(ctx, id); err == nil {
		t.Error("the inactive person's row is still there")
	}
	var body string
	if err := db.X.Get(&body, `SELECT body FROM case_events WHERE case_id = $1`, recent); err != nil || body != "Nam hỏi vay" {
		t.Errorf("a recent case's message: %q %v", body, err)
	}
	if found := scan(t, db.X, "Lê Văn Nam"); len(found) != 1 {
		t.Errorf("the neighbour, seen 23 months ago: %v", found)
	}
	again, err := store.RunRetention(ctx, db, now, 24)
	if err != nil || again.People != 0 || again.Events != 0 {
		t.Errorf("second run %+v %v", again, err)
	}
	if _, err := store.RunRetention(ctx, db, now, 0); err == nil {
		t.Error("0 months accepted")
	}
}
