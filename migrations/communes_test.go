package migrations_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"reentrybot/dbtest"
	"reentrybot/migrations"
	"reentrybot/refdata"
	"reentrybot/report"
	"reentrybot/store"
	"reentrybot/textfold"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// emptyDB creates a database with no migration applied, dropped at the end.
func emptyDB(t *testing.T) *sqlx.DB {
	t.Helper()
	ctx := context.Background()
	admin, err := sql.Open("postgres", dbtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := "migrate_communes_" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dbtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sqlx.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+pq.QuoteIdentifier(name)); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	return db
}

func run(t *testing.T, db *sqlx.DB, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(string(b)); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// figures is a report with its communes named by official code.
func figures(t *testing.T, db *store.DB, communes []string, toOfficial map[string]string) map[string][]any {
	t.Helper()
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	clock := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) // fixed: never today's date
	r, err := report.Generate(context.Background(), db, nov, report.Audience{Communes: communes}, clock)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]any{}
	official := func(code string) string {
		if c, ok := toOfficial[code]; ok {
			return c
		}
		return code
	}
	for _, row := range r.Rows {
		out[official(row.Code)] = []any{row.Counts, row.Stats}
	}
	if r.Total != nil {
		out["total"] = []any{r.Total.Counts, r.Total.Stats}
	}
	for code, byOutcome := range r.Opened {
		out["opened "+official(code)] = []any{byOutcome}
	}
	return out
}

func oldCodes(t *testing.T) (map[string]string, []string) {
	t.Helper()
	m, err := refdata.UnofficialCodes()
	if err != nil {
		t.Fatal(err)
	}
	toOfficial := map[string]string{}
	var old []string
	for _, c := range m {
		toOfficial[c.Old] = c.New
		old = append(old, c.Old)
	}
	return toOfficial, old
}

// A database created at migration 00050 holding people, cases, staff
// scopes, loan days, a course and an announcement under the unofficial
// codes comes out of 00060 with the official codes everywhere and the same
// report figures; 00060 run again changes nothing; down and up again too.
func TestOfficialCodesMigration(t *testing.T) {
	ctx := context.Background()
	x := emptyDB(t)
	db := &store.DB{X: x}
	p, err := migrations.Provider(x.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 50); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/communes-unofficial.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cs, err := refdata.ParseCommunes(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := refdata.UpsertCommunes(ctx, tx, cs); return err }); err != nil {
		t.Fatal(err)
	}
	run(t, x, "testdata/old-codes.sql")

	toOfficial, old := oldCodes(t)
	officer := []string{"00149", "00557"}
	province, scoped := figures(t, db, nil, toOfficial), figures(t, db, officer, toOfficial)
	if len(province) < 99 || reflect.DeepEqual(province["07840"], province["07339"]) {
		t.Fatalf("fixture too thin: %v", province)
	}

	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		// No unofficial code is left in any column holding a commune code.
		for _, q := range []string{
			`SELECT count(*) FROM communes WHERE code = ANY($1)`,
			`SELECT count(*) FROM people WHERE commune_code = ANY($1)`,
			`SELECT count(*) FROM cases WHERE commune_code = ANY($1)`,
			`SELECT count(*) FROM courses WHERE commune_code = ANY($1)`,
			`SELECT count(*) FROM loan_days WHERE commune_code = ANY($1)`,
			`SELECT count(*) FROM staff WHERE communes && $1`,
			`SELECT count(*) FROM broadcasts WHERE communes && $1`,
		} {
			var n int
			if err := x.Get(&n, q, pq.Array(old)); err != nil || n != 0 {
				t.Errorf("%s: %s: %d (%v)", when, q, n, err)
			}
		}
		var scopes []string
		if err := x.Select(&scopes, `SELECT array_to_string(communes, ',') FROM staff ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(scopes, " "); got != "07840,07339 07210,12345 " {
			t.Errorf("%s: staff scopes %q", when, got)
		}
		var n, official int
		if err := x.Get(&n, `SELECT count(*) FROM communes`); err != nil || n != 99 {
			t.Errorf("%s: %d communes (%v)", when, n, err)
		}
		if err := x.Get(&official, `SELECT count(*) FROM people WHERE commune_code IN (SELECT code FROM communes WHERE province_code = '24')`); err != nil || official != 60 {
			t.Errorf("%s: %d people in official communes (%v)", when, official, err)
		}
		if got := figures(t, db, nil, nil); !reflect.DeepEqual(got, province) {
			t.Errorf("%s: province figures differ:\n got %v\nwant %v", when, got, province)
		}
		if got := figures(t, db, []string{"07840", "07339"}, nil); !reflect.DeepEqual(got, scoped) {
			t.Errorf("%s: the officer's figures differ:\n got %v\nwant %v", when, got, scoped)
		}
	}
	check("after 00060")

	// 00060 again, as if applied twice: nothing changes.
	b, err := os.ReadFile("00060_official_communes.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(b), "-- +goose Down")
	if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.X.ExecContext(ctx, up); return err }); err != nil {
		t.Fatal(err)
	}
	check("00060 twice")

	// Down to 00050 restores the unofficial codes and the same figures.
	if _, err := p.DownTo(ctx, 50); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := x.Get(&n, `SELECT count(*) FROM people WHERE commune_code = ANY($1)`, pq.Array(old)); err != nil || n != 60 {
		t.Errorf("down: %d people under the unofficial codes (%v)", n, err)
	}
	if got := figures(t, db, officer, toOfficial); !reflect.DeepEqual(got, scoped) {
		t.Errorf("down: the officer's figures differ:\n got %v\nwant %v", got, scoped)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	check("down and up")
}

// A fresh database holds the built-in communes, as refdata carries them,
// and the former units; so `serve` on an empty database takes a profile
// with no import.
func TestFreshDatabaseHasTheCommunes(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	want, err := refdata.Communes()
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Code, Name, FullName, Type, ProvinceCode, SearchKey string
		Active                                              bool
	}
	if err := db.X.Select(&got, `SELECT code, name, full_name AS fullname, type, province_code AS provincecode,
		search_key AS searchkey, active FROM communes ORDER BY code`); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d communes, want %d", len(got), len(want))
	}
	for i, c := range want {
		g := got[i]
		if g.Code != c.Code || g.Name != c.Name || g.FullName != c.FullName || g.Type != c.Type ||
			g.ProvinceCode != c.ProvinceCode || g.SearchKey != textfold.Fold(c.Name) || !g.Active {
			t.Errorf("commune %d: %+v, want %+v", i, g, c)
		}
	}
	formers, err := refdata.FormerCommunes()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.X.Get(&n, `SELECT count(*) FROM former_communes`); err != nil || n != len(formers) || n != 313 {
		t.Errorf("%d former units (%v), want %d", n, err, len(formers))
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		m, err := tx.FindCommunes(ctx, "dinh bang", 10)
		if err != nil {
			return err
		}
		if len(m) != 1 || m[0].Code != "09367" || m[0].FormerName != "Đình Bảng" {
			t.Errorf("dinh bang: %+v", m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
