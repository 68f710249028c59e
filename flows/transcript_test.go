package flows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/flows/flowtest"
	"reentrybot/i18n"
	"reentrybot/refdata"
	"reentrybot/store"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata")

func TestMain(m *testing.M) { dbtest.Main(m) }

// A transcript file holds scenarios; each step's input is written by hand,
// its outcome is generated with -update and compared otherwise.
type transcript struct {
	About     string     `json:"about"`
	Scenarios []scenario `json:"scenarios"`
}

type scenario struct {
	Name string `json:"name"`
	// Clock is the start time (RFC 3339); default Monday 2026-11-16 09:00
	// in Vietnam.
	Clock string `json:"clock,omitempty"`
	// Lang is the person's stored language when first seen ("" = vi).
	Lang string `json:"lang,omitempty"`
	// Given names fixtures: consented, declined, legacy (consents from
	// before the purpose "other"), profile, counsel_case (an open "other"
	// request), job_priority (a closed job request naming priority groups),
	// returned, no_courses, no_loan_days, full_loan_days.
	Given []string         `json:"given,omitempty"`
	Steps []transcriptStep `json:"steps"`
	// Rows is the database after the last step (generated).
	Rows json.RawMessage `json:"rows,omitempty"`
}

type transcriptStep struct {
	// In: "/cmd [arg]", "text ...", "tap ID", "stale ID", "contact PHONE",
	// "media KIND".
	In string `json:"in"`
	// Wait advances the clock before the input (Go duration).
	Wait string          `json:"wait,omitempty"`
	Out  json.RawMessage `json:"out,omitempty"`
}

type stepOut struct {
	Replies []replyOut      `json:"replies"`
	Toast   string          `json:"toast,omitempty"`
	Lang    string          `json:"lang"`
	Cases   []flows.CaseRef `json:"cases,omitempty"`
	State   string          `json:"state"`
}

type replyOut struct {
	Key     string         `json:"key"`
	Params  map[string]any `json:"params,omitempty"`
	Options [][]string     `json:"options,omitempty"`
	Contact bool           `json:"contact,omitempty"`
}

var defaultClock = time.Date(2026, 11, 16, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkPrivacyEverywhere(t) }) // after every transcript
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			t.Parallel()
			runTranscript(t, file, cat)
		})
	}
}

func runTranscript(t *testing.T, file string, cat *i18n.Catalog) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var tr transcript
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for i := range tr.Scenarios {
		sc := &tr.Scenarios[i]
		t.Run(sc.Name, func(t *testing.T) { runScenario(t, sc, cat) })
	}
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(tr); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fixture is a person in a fresh database with the reference data loaded.
type fixture struct {
	db     *store.DB
	person int64
	clock  time.Time
}

func newFixture(t *testing.T, sc *scenario) *fixture {
	t.Helper()
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	f := &fixture{db: db, clock: defaultClock}
	db.SetClock(func() time.Time { return f.clock }) // one clock: the scenario's
	if sc.Clock != "" {
		c, err := time.Parse(time.RFC3339, sc.Clock)
		if err != nil {
			t.Fatal(err)
		}
		f.clock = c
	}
	lang := sc.Lang
	if lang == "" {
		lang = "vi"
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := refdata.LoadCommunes(ctx, tx); err != nil {
			return err
		}
		if _, err := refdata.LoadSampleCourses(ctx, tx, f.clock); err != nil {
			return err
		}
		communes, err := refdata.Communes()
		if err != nil {
			return err
		}
		var some []flows.Commune
		for _, c := range communes {
			if c.Code == "07339" || c.Code == "07840" {
				some = append(some, c)
			}
		}
		if _, err := refdata.LoadLoanDays(ctx, tx, refdata.SampleLoanDays(some, f.clock, 3, 2)); err != nil {
			return err
		}
		p, err := tx.TouchPerson(ctx, "telegram", "1001", "1001", lang)
		if err != nil {
			return err
		}
		f.person = p.ID
		for _, g := range sc.Given {
			if err := flowtest.Given(ctx, tx, p.ID, g, f.clock); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return f
}

func runScenario(t *testing.T, sc *scenario, cat *i18n.Catalog) {
	ctx := context.Background()
	f := newFixture(t, sc)
	for i := range sc.Steps {
		st := &sc.Steps[i]
		if st.Wait != "" {
			d, err := time.ParseDuration(st.Wait)
			if err != nil {
				t.Fatalf("step %d: %v", i+1, err)
			}
			f.clock = f.clock.Add(d)
		}
		got := f.step(t, i+1, st.In, cat)
		f.checkPrivacy(t, i+1, cat) // privacy_states_test.go
		b, err := marshal(got)
		if err == nil {
			b, err = canonical(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			st.Out = b
			continue
		}
		want, err := canonical(st.Out)
		if err != nil {
			t.Fatalf("step %d: stored outcome: %v", i+1, err)
		}
		if !bytes.Equal(want, b) {
			t.Fatalf("step %d (%s) differs; run go test ./flows -update and review the diff\nwant: %s\ngot:  %s", i+1, st.In, want, b)
		}
	}
	rows, err := marshal(f.rows(t))
	if err == nil {
		rows, err = canonical(rows)
	}
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		sc.Rows = rows
		return
	}
	want, err := canonical(sc.Rows)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, rows) {
		t.Fatalf("database rows differ; run go test ./flows -update and review the diff\nwant: %s\ngot:  %s", want, rows)
	}
	_ = ctx
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(b.Bytes()), nil
}

func canonical(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return marshal(v)
}

func parseInput(t *testing.T, s string, version int64) flows.Input {
	t.Helper()
	verb, rest, _ := strings.Cut(s, " ")
	switch {
	case strings.HasPrefix(verb, "/"):
		return flows.Input{Kind: flows.InCommand, Command: verb[1:], Arg: rest}
	case verb == "text":
		return flows.Input{Kind: flows.InText, Text: rest}
	case verb == "tap":
		return flows.Input{Kind: flows.InChoice, Choice: rest, Version: version}
	case verb == "stale":
		return flows.Input{Kind: flows.InChoice, Choice: rest, Version: version - 1}
	case verb == "contact":
		return flows.Input{Kind: flows.InContact, Phone: rest}
	case verb == "media":
		return flows.Input{Kind: flows.InMedia, Media: rest}
	}
	t.Fatalf("bad input %q", s)
	return flows.Input{}
}

// step runs one input in its own transaction with a new engine, as after
// a restart: all state comes from the database.
func (f *fixture) step(t *testing.T, n int, in string, cat *i18n.Catalog) stepOut {
	t.Helper()
	ctx := context.Background()
	clock := f.clock
	eng := flows.NewEngine(func() time.Time { return clock }, flows.WithCatalog(cat))
	var out flows.Outcome
	var conv flows.Conversation
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.TouchPerson(ctx, "telegram", "1001", "1001", "vi")
		if err != nil {
			return err
		}
		c, err := tx.Conversation(ctx, p.ID)
		if err != nil {
			return err
		}
		person := flows.Person{ID: p.ID, Lang: p.Language, Name: "An <3 & co", LangHint: "vi", Carrier: "Telegram", CarrierAbroad: true}
		if in == "repeat" { // the transport lost the last answer
			out, _, err = eng.Repeat(ctx, tx, person)
			return err
		}
		input := parseInput(t, in, c.Version)
		input.At = clock
		out, err = eng.Handle(ctx, tx, person, input)
		return err
	})
	if err != nil {
		t.Fatalf("step %d (%s): %v", n, in, err)
	}
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		conv, err = tx.Conversation(ctx, f.person)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Version != conv.Version {
		t.Fatalf("step %d (%s): outcome version %d, conversation version %d", n, in, out.Version, conv.Version)
	}
	checkRendered(t, n, in, cat, out)
	so := stepOut{Toast: out.Toast, Lang: out.Lang, Cases: out.Cases, State: conv.Flow + "/" + conv.State, Replies: []replyOut{}}
	for _, r := range out.Replies {
		ro := replyOut{Key: r.Key, Params: r.Params, Contact: r.AskContact}
		for _, row := range r.Options {
			var ids []string
			for _, o := range row {
				if on, _ := o.Params["On"].(bool); on {
					ids = append(ids, o.ID+" ✓")
				} else {
					ids = append(ids, o.ID)
				}
			}
			ro.Options = append(ro.Options, ids)
		}
		so.Replies = append(so.Replies, ro)
	}
	return so
}

// Words the bot must never say to the person.
var forbidden = regexp.MustCompile(`(?i)\b(prison|prisoner|jail|detention|detainee|crime|criminal|offen[cs]e|offender|returnee|convict)\b|(^|[^\p{L}])(tù|phạm nhân|trại giam|tạm giam|tội|phạm tội|tái hòa nhập|tái hoà nhập)([^\p{L}]|$)`)

// checkRendered renders every reply and button of the outcome in every
// language: a missing key, a failing template or "<no value>" fails.
func checkRendered(t *testing.T, n int, in string, cat *i18n.Catalog, out flows.Outcome) {
	t.Helper()
	for _, lang := range cat.Langs() {
		render := func(key string, params map[string]any) {
			s, err := cat.Render(lang, key, params)
			if err != nil {
				t.Errorf("step %d (%s): %v", n, in, err)
				return
			}
			if strings.Contains(s, "<no value>") {
				t.Errorf("step %d (%s): %s/%s renders <no value>: %q", n, in, lang, key, s)
			}
			if m := forbidden.FindString(s); m != "" {
				t.Errorf("step %d (%s): %s/%s says %q: %q", n, in, lang, key, m, s)
			}
		}
		if out.Toast != "" {
			render(out.Toast, nil)
		}
		for _, r := range out.Replies {
			render(r.Key, r.Params)
			for _, row := range r.Options {
				for _, o := range row {
					if o.Key != "" {
						render(o.Key, o.Params)
					} else if o.Label == "" {
						t.Errorf("step %d (%s): option %s has neither key nor label", n, in, o.ID)
					}
					if len(o.ID) > 40 {
						t.Errorf("step %d (%s): option id %q too long for callback data", n, in, o.ID)
					}
				}
			}
		}
	}
}

// rows is what the scenario left in the database.
type dbRows struct {
	Person       map[string]any   `json:"person"`
	Consents     []map[string]any `json:"consents,omitempty"`
	Cases        []map[string]any `json:"cases,omitempty"`
	Appointments []map[string]any `json:"appointments,omitempty"`
}

func (f *fixture) rows(t *testing.T) dbRows {
	t.Helper()
	x := f.db.X
	var r dbRows
	r.Person = queryRows(t, x, `SELECT language, full_name, birth_year, gender, phone, commune_code,
		to_char(sentence_end, 'YYYY-MM-DD') AS sentence_end, education, vt_support_before, vt_support_unknown FROM people WHERE id = $1`, f.person)[0]
	r.Consents = queryRows(t, x, `SELECT purpose, granted, text_version, text_hash, language, channel, evidence IS NOT NULL AS has_evidence FROM consents WHERE person_id = $1 ORDER BY id`, f.person)
	r.Cases = queryRows(t, x, `SELECT id, kind, status, commune_code, answers::text AS answers, course_id, appointment_id,
		updated_at > opened_at AS updated_later FROM cases WHERE person_id = $1 ORDER BY id`, f.person)
	r.Appointments = queryRows(t, x, `SELECT id, loan_day_id, status FROM appointments WHERE person_id = $1 ORDER BY id`, f.person)
	return r
}

func queryRows(t *testing.T, x *sqlx.DB, q string, args ...any) []map[string]any {
	t.Helper()
	rows, err := x.Queryx(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			t.Fatal(err)
		}
		for k, v := range m {
			if b, ok := v.([]byte); ok {
				m[k] = string(b)
			}
			if s, ok := m[k].(string); ok && k == "answers" {
				var a any
				if err := json.Unmarshal([]byte(s), &a); err == nil {
					m[k] = a
				}
			}
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
