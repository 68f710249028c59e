package refdata_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/refdata"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestEmbeddedCommunes(t *testing.T) {
	cs, err := refdata.Communes()
	if err != nil {
		t.Fatal(err)
	}
	wards := 0
	for _, c := range cs {
		if c.Type == "ward" {
			wards++
		}
	}
	if len(cs) != 99 || wards != 33 {
		t.Errorf("%d communes, %d wards; want 99 and 33", len(cs), wards)
	}
}

func TestParseCommunesRejectsTheWholeFile(t *testing.T) {
	head := "code,name,full_name,type,province_code\n"
	bad := map[string]string{
		"bad code":      head + "00001,A,Xã A,commune,10\nx1,B,Xã B,commune,10\n",
		"bad type":      head + "00001,A,Xã A,district,10\n",
		"duplicate":     head + "00001,A,Xã A,commune,10\n00001,B,Xã B,ward,10\n",
		"empty name":    head + "00001,,Xã A,commune,10\n",
		"wrong header":  "id,name,full_name,type,province_code\n00001,A,Xã A,commune,10\n",
		"missing field": head + "00001,A,Xã A,commune\n",
		"no rows":       head,
	}
	for name, csv := range bad {
		if cs, err := refdata.ParseCommunes(strings.NewReader(csv)); err == nil {
			t.Errorf("%s: accepted %v", name, cs)
		}
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) UpsertCommune(ctx context.Context, c flows.Commune, key string) error {
	w.n++
	if w.n == 50 {
		return errors.New("disk full")
	}
	return nil
}

func TestLoadCommunesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	noCommunes(t, db)
	// A failing write fails the transaction: nothing is kept.
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := refdata.LoadCommunes(ctx, tx); err != nil {
			return err
		}
		return errors.New("later step failed")
	})
	if err == nil {
		t.Fatal("want an error")
	}
	var n int
	if err := db.X.Get(&n, `SELECT count(*) FROM communes`); err != nil || n != 0 {
		t.Fatalf("%d communes kept after a failed load (%v)", n, err)
	}
	if _, err := refdata.LoadCommunes(ctx, &failingWriter{}); err == nil {
		t.Error("a failing writer must fail the load")
	}
	// Loading twice upserts by code.
	for range 2 {
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := refdata.LoadCommunes(ctx, tx); return err }); err != nil {
			t.Fatal(err)
		}
	}
	var key string
	if err := db.X.QueryRow(`SELECT count(*), max(search_key) FILTER (WHERE code = '07840') FROM communes`).Scan(&n, &key); err != nil {
		t.Fatal(err)
	}
	if n != 99 || key != "hiep hoa" {
		t.Errorf("%d communes, search key %q", n, key)
	}
}

func TestSampleData(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	today := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := refdata.LoadCommunes(ctx, tx); err != nil {
			return err
		}
		ids, err := refdata.LoadSampleCourses(ctx, tx, today)
		if err != nil || len(ids) != 10 {
			t.Errorf("courses: %v %v", ids, err)
		}
		cs, _ := refdata.Communes()
		days := refdata.SampleLoanDays(cs[:2], today, 3, 5)
		if len(days) != 6 || days[0].Day.Weekday() != time.Tuesday || !days[0].Sample {
			t.Errorf("loan days: %+v", days)
		}
		_, err = refdata.LoadLoanDays(ctx, tx, days)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var open int
	if err := db.X.Get(&open, `SELECT count(*) FROM courses WHERE sample AND active AND enrol_deadline >= $1 AND seats_taken < seats_total`, today); err != nil {
		t.Fatal(err)
	}
	if open != 7 {
		t.Errorf("%d open sample courses, want 7 (one full, one closed, one inactive)", open)
	}
}
