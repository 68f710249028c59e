package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/refdata"
	"reentrybot/store"
	"reentrybot/textfold"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testNow is where the store's clock stands in these tests: every row they
// write is stamped by it, whatever day the suite runs.
var testNow = time.Date(2026, 11, 16, 2, 0, 0, 0, time.UTC)

func newDB(t *testing.T) (*store.DB, int64) {
	t.Helper()
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	db.SetClock(clock.NewFake(testNow).Now)
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := refdata.LoadCommunes(ctx, tx); err != nil {
			return err
		}
		p, err := tx.TouchPerson(ctx, "telegram", "42", "42", "vi")
		id = p.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, id
}

func TestProfileKeepsTextAsGiven(t *testing.T) {
	ctx := context.Background()
	db, id := newDB(t)
	name := "<b>Lê</b> & Trần 👷 " + strings.Repeat("ệ", 81)
	end := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	yes := true
	want := flows.Profile{FullName: name, BirthYear: 1990, Gender: "other", Phone: "+84912345678",
		CommuneCode: "00149", CommuneName: "Hiệp Hoà", SentenceEnd: &end, Education: "primary", VTSupportBefore: &yes}
	var got flows.Profile
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveProfile(ctx, id, want); err != nil {
			return err
		}
		var err error
		got, err = tx.Profile(ctx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.FullName != name || got.CommuneName != "Hiệp Hoà" || !got.SentenceEnd.Equal(end) || *got.VTSupportBefore != true || got.Phone != want.Phone {
		t.Errorf("profile round trip: got %+v", got)
	}
	var raw string
	if err := db.X.Get(&raw, `SELECT full_name FROM people WHERE id = $1`, id); err != nil || raw != name {
		t.Errorf("people.full_name = %q, %v; want %q", raw, err, name)
	}
}

func TestSearchCommunesFolds(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	tests := map[string]string{
		"tan yen":  "00557",
		"TÂN YÊN":  "00557",
		"hiep hòa": "00149", // data: Hiệp Hoà
		"hiep hoà": "00149",
		"nhân hoà": "01451", // data: Nhân Hòa
		"NHAN HOA": "01451",
		"dai dong": "00176", // đ
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for q, code := range tests {
			got, err := tx.SearchCommunes(ctx, textfold.Fold(q), 10)
			if err != nil {
				return err
			}
			if len(got) == 0 || got[0].Code != code {
				t.Errorf("search %q: got %v, want %s first", q, got, code)
			}
		}
		got, err := tx.SearchCommunes(ctx, "zzz", 10)
		if len(got) != 0 {
			t.Errorf("search zzz: %v", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSaveCaseOneOpenPerKind(t *testing.T) {
	ctx := context.Background()
	db, id := newDB(t)
	at := time.Date(2026, 11, 16, 2, 0, 0, 0, time.UTC)
	save := func(kind, answers string, at time.Time) flows.CaseRef {
		var ref flows.CaseRef
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			ref, err = tx.SaveCase(ctx, flows.CaseDraft{PersonID: id, Kind: kind, CommuneCode: "00557", Answers: json.RawMessage(answers), At: at})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	a := save("job", `{"trades":["garment"]}`, at)
	b := save("job", `{"trades":["repair"],"skills":"<b>&</b> 🙂"}`, at.Add(time.Hour))
	c := save("other", `{"reason":"x"}`, at)
	if !a.Created || b.Created || a.ID != b.ID || !c.Created || c.ID == a.ID {
		t.Fatalf("refs: %+v %+v %+v", a, b, c)
	}
	var row struct {
		Answers string    `db:"answers"`
		Opened  time.Time `db:"opened_at"`
		Updated time.Time `db:"updated_at"`
	}
	if err := db.X.Get(&row, `SELECT answers::text AS answers, opened_at, updated_at FROM cases WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row.Answers, `"<b>&</b> 🙂"`) || !row.Updated.After(row.Opened) {
		t.Errorf("case row: %+v", row)
	}
	// A closed case leaves room for a new one of the same kind.
	if _, err := db.X.Exec(`UPDATE cases SET status = 'closed', closed_at = now() WHERE id = $1`, a.ID); err != nil {
		t.Fatal(err)
	}
	if d := save("job", `{}`, at); !d.Created || d.ID == a.ID {
		t.Errorf("after closing: %+v", d)
	}
}

func TestBookAppointmentCapacityUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	var dayID int64
	people := make([]int64, 8)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		dayID, err = tx.UpsertLoanDay(ctx, flows.LoanDay{CommuneCode: "00557", Day: time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC),
			Place: "UBND xã Tân Yên", StartsAt: "07:30", EndsAt: "11:00", Capacity: 3})
		if err != nil {
			return err
		}
		for i := range people {
			p, err := tx.TouchPerson(ctx, "telegram", "p"+string(rune('a'+i)), "c", "vi")
			if err != nil {
				return err
			}
			people[i] = p.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	booked := 0
	start := make(chan struct{})
	for _, pid := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, ok, err := tx.BookAppointment(ctx, pid, dayID, db.Now())
				if ok {
					time.Sleep(20 * time.Millisecond) // hold the lock while others wait
					mu.Lock()
					booked++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	var n int
	if err := db.X.Get(&n, `SELECT count(*) FROM appointments WHERE loan_day_id = $1 AND status = 'booked'`, dayID); err != nil {
		t.Fatal(err)
	}
	if n != 3 || booked != 3 {
		t.Fatalf("booked %d (reported %d), capacity 3", n, booked)
	}
	// A full day is not offered; a cancellation frees a place.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		days, err := tx.LoanDays(ctx, "00557", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 5)
		if err != nil || len(days) != 0 {
			t.Errorf("full day offered: %v %v", days, err)
		}
		var appt int64
		if err := tx.X.Get(&appt, `SELECT min(id) FROM appointments WHERE loan_day_id = $1`, dayID); err != nil {
			return err
		}
		if err := tx.CancelAppointment(ctx, appt, db.Now()); err != nil {
			return err
		}
		days, err = tx.LoanDays(ctx, "00557", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 5)
		if err != nil || len(days) != 1 || days[0].Booked != 2 || days[0].StartsAt != "07:30" {
			t.Errorf("after a cancellation: %+v %v", days, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConsentsLatestWins(t *testing.T) {
	ctx := context.Background()
	db, id := newDB(t)
	at := time.Date(2026, 11, 16, 2, 0, 0, 0, time.UTC)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, g := range []bool{true, false, true} {
			if err := tx.RecordConsent(ctx, flows.Consent{PersonID: id, Purpose: flows.PurposeLoan, Granted: g, TextVersion: flows.ConsentTextVersion, At: at.Add(time.Duration(i) * time.Minute)}); err != nil {
				return err
			}
		}
		if err := tx.RecordConsent(ctx, flows.Consent{PersonID: id, Purpose: flows.PurposeJob, Granted: false, TextVersion: flows.ConsentTextVersion, At: at}); err != nil {
			return err
		}
		cs, err := tx.Consents(ctx, id)
		if err != nil {
			return err
		}
		if len(cs) != 2 || !cs[flows.PurposeLoan] || cs[flows.PurposeJob] {
			t.Errorf("consents: %v", cs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
