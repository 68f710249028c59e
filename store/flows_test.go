package store_test

import (
	"context"
	"database/sql"
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

	"golang.org/x/text/unicode/norm"
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
		CommuneCode: "07840", CommuneName: "Hiệp Hòa", SentenceEnd: &end, Education: "primary", VTSupportBefore: &yes}
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
	if got.FullName != name || got.CommuneName != "Hiệp Hòa" || !got.SentenceEnd.Equal(end) || *got.VTSupportBefore != true || got.Phone != want.Phone {
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
		"tan yen":  "07339",
		"TÂN YÊN":  "07339",
		"hiep hòa": "07840", // data: Hiệp Hòa
		"hiep hoà": "07840",
		"nhân hoà": "09253", // data: Nhân Hòa
		"NHAN HOA": "09253",
		"dai dong": "09340", // đ
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

// find searches the way the profile flow does: the whole text first, then
// without a leading "xã", "thị trấn"...
func find(ctx context.Context, tx *store.Tx, typed string) ([]flows.CommuneMatch, error) {
	for _, q := range textfold.PlaceQueries(typed) {
		got, err := tx.FindCommunes(ctx, q, 40)
		if err != nil || len(got) > 0 {
			return got, err
		}
	}
	return nil, nil
}

func TestFindCommunesByOldAndNewNames(t *testing.T) {
	ctx := context.Background()
	// The migrations alone hold the communes and the former units.
	db := &store.DB{X: dbtest.New(t)}
	// Each match as code, then "<former type> <former name>" when found
	// by a former unit, or "<district>" when found by a former district.
	tests := []struct {
		typed string
		want  []string
	}{
		{"dinh bang", []string{"09367 ward Đình Bảng"}},
		{"ĐÌNH BẢNG", []string{"09367 ward Đình Bảng"}},
		{"phường Đình Bảng", []string{"09367 ward Đình Bảng"}},
		{"thi tran Cho", []string{"09193 township Chờ"}},
		{"TT Chờ", []string{"09193 township Chờ"}},
		{"Lim", []string{"09319 township Lim"}},
		// Two former "Đồng Tiến" (Yên Thế, Hiệp Hòa) and, without marks, "Đông
		// Tiến" of Yên Phong: the flow labels each with its district.
		{"dong tien", []string{"07822 commune Đồng Tiến", "07246 commune Đồng Tiến", "09193 commune Đông Tiến"}},
		{"phuong son", []string{"07612", "07444 township Phương Sơn"}},
		{"Phượng Sơn", []string{"07612", "07444 township Phương Sơn"}},
		{"hiep hoa", []string{"07840", "07822 Huyện Hiệp Hòa", "07864 Huyện Hiệp Hòa", "07870 Huyện Hiệp Hòa"}},
		// The new commune Lục Nam, then the other units of the old district,
		// by name (Bắc Lũng, Bảo Đài, Cẩm Lý, Đông Phú, Lục Sơn, Nghĩa
		// Phương, Trường Sơn).
		{"luc nam", []string{"07444", "07498 Huyện Lục Nam", "07462 Huyện Lục Nam", "07519 Huyện Lục Nam",
			"07450 Huyện Lục Nam", "07492 Huyện Lục Nam", "07486 Huyện Lục Nam", "07489 Huyện Lục Nam"}},
		{"huyen luc nam", nil}, // filled below: the same as "luc nam"
		{"xa ly", []string{"07534 commune Sa Lý"}},
		{"Trạng Hạ", []string{"09385 ward Trang Hạ"}},
		{norm.NFD.String("Tân Yên"), []string{"07339", "07228 Huyện Tân Yên", "07351 Huyện Tân Yên", "07306 Huyện Tân Yên", "07330 Huyện Tân Yên", "07333 Huyện Tân Yên"}},
		{"\u00d0\u00ecnh B\u1ea3ng", []string{"09367 ward Đình Bảng"}}, // Icelandic eth for Đ
		{"zzz", nil},
	}
	tests[11].want = tests[10].want
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, tt := range tests {
			got, err := find(ctx, tx, tt.typed)
			if err != nil {
				return err
			}
			var s []string
			for _, m := range got {
				switch {
				case m.FormerName != "":
					s = append(s, m.Code+" "+m.FormerType+" "+m.FormerName)
				case m.FormerDistrict != "":
					s = append(s, m.Code+" "+m.FormerDistrict)
				default:
					s = append(s, m.Code)
				}
			}
			if strings.Join(s, "|") != strings.Join(tt.want, "|") {
				t.Errorf("%q: got %q, want %q", tt.typed, s, tt.want)
			}
		}
		return nil
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
			ref, err = tx.SaveCase(ctx, flows.CaseDraft{PersonID: id, Kind: kind, CommuneCode: "07339", Answers: json.RawMessage(answers), At: at})
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
		dayID, err = tx.UpsertLoanDay(ctx, flows.LoanDay{CommuneCode: "07339", Day: time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC),
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
		days, err := tx.LoanDays(ctx, "07339", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 5)
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
		days, err = tx.LoanDays(ctx, "07339", time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), 5)
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

// unaccented types a name the way many people do: no marks, đ as d, in
// capitals.
func unaccented(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r == 'đ' || r == 'Đ':
			b.WriteRune('D')
		case r >= 0x300 && r <= 0x36f:
		default:
			b.WriteString(strings.ToUpper(string(r)))
		}
	}
	return b.String()
}

// Every unit and every former unit, typed without marks in capitals, in
// NFD, or with "xã"/"phường" before it, is found.
func TestFindCommunesFindsEveryName(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	communes, err := refdata.Communes()
	if err != nil {
		t.Fatal(err)
	}
	formers, err := refdata.FormerCommunes()
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ typed, code string }
	var wants []want
	for _, c := range communes {
		full, _, _ := strings.Cut(c.FullName, ",")
		wants = append(wants, want{unaccented(c.Name), c.Code}, want{norm.NFD.String(c.Name), c.Code}, want{full, c.Code})
	}
	for _, f := range formers {
		wants = append(wants, want{unaccented(f.Name), f.NewCode})
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, w := range wants {
			got, err := find(ctx, tx, w.typed)
			if err != nil {
				return err
			}
			found := false
			for _, m := range got {
				found = found || m.Code == w.code
			}
			if !found {
				t.Errorf("%q: %d matches, none is %s", w.typed, len(got), w.code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A consent keeps the language its text was shown in (issue 16),
// and the person's export says it; unknown stays NULL.
func TestConsentKeepsLanguage(t *testing.T) {
	ctx := context.Background()
	db, id := newDB(t)
	tests := []struct {
		purpose flows.Purpose
		lang    string
		want    sql.NullString
	}{
		{flows.PurposeJob, "vi", sql.NullString{String: "vi", Valid: true}},
		{flows.PurposeLoan, "en", sql.NullString{String: "en", Valid: true}},
		{flows.PurposeTraining, "", sql.NullString{}},
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, tt := range tests {
			if err := tx.RecordConsent(ctx, flows.Consent{PersonID: id, Purpose: tt.purpose, Granted: true, TextVersion: flows.ConsentTextVersion, Lang: tt.lang, At: testNow}); err != nil {
				return err
			}
		}
		for _, tt := range tests {
			var got sql.NullString
			if err := tx.X.GetContext(ctx, &got, `SELECT language FROM consents WHERE person_id = $1 AND purpose = $2`, id, tt.purpose); err != nil {
				return err
			}
			if got != tt.want {
				t.Errorf("%s: language %v, want %v", tt.purpose, got, tt.want)
			}
		}
		e, err := tx.ExportPerson(ctx, id, testNow)
		if err != nil {
			return err
		}
		if !strings.Contains(string(e.JSON), `"language": "en"`) {
			t.Errorf("export lacks the consent language:\n%s", e.JSON)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
