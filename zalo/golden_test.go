package zalo_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reentrybot/flows"
	"reentrybot/flows/flowtest"
	"reentrybot/refdata"
	"reentrybot/store"
	"reentrybot/zalotest"
)

// The flows' golden transcripts (flows/testdata) hold, for each scenario,
// the inputs and the rows the database holds after them. Here each
// scenario is played by a Zalo user against the fake OA: every input is a
// signed webhook event, every tap a press of a button the bot sent (or
// the number of a list, where Zalo's 5 buttons did not suffice), the
// phone the share-phone card's answer; the rows must come out as the
// transcript says, which is what Telegram's path is held to as well.
type transcript struct {
	Scenarios []struct {
		Name  string   `json:"name"`
		Clock string   `json:"clock"`
		Lang  string   `json:"lang"`
		Given []string `json:"given"`
		Steps []struct {
			In   string `json:"in"`
			Wait string `json:"wait"`
		} `json:"steps"`
		Rows json.RawMessage `json:"rows"`
	} `json:"scenarios"`
}

// By default the first scenario of each transcript (the happy path of
// job, course, loan, counsellor, rights, …) and the language switch run;
// ZALO_GOLDEN=all runs every scenario (a minute or two more).
func TestGoldenTranscriptsOverZalo(t *testing.T) {
	all := os.Getenv("ZALO_GOLDEN") == "all"
	files, err := filepath.Glob("../flows/testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var tr transcript
		if err := json.Unmarshal(raw, &tr); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		for i, sc := range tr.Scenarios {
			if !all && !(i == 0 || (name == "detours" && strings.HasPrefix(sc.Name, "language"))) {
				continue
			}
			t.Run(name+"/"+sc.Name, func(t *testing.T) {
				t.Parallel()
				start := time.Date(2026, 11, 16, 9, 0, 0, 0, vn)
				if sc.Clock != "" {
					if start, err = time.Parse(time.RFC3339, sc.Clock); err != nil {
						t.Fatal(err)
					}
				}
				r := newRig(t, rigOpts{start: start, echo: true})
				u := r.fake.AddFollower("An")
				person := r.fixture(u.ID, sc.Lang, sc.Given)
				for k, st := range sc.Steps {
					if st.Wait != "" {
						d, err := time.ParseDuration(st.Wait)
						if err != nil {
							t.Fatal(err)
						}
						r.clk.Advance(d)
					}
					r.step(u.ID, k+1, st.In)
				}
				got := canonical(t, r.rows(person))
				want := canonical(t, overZalo(t, sc.Rows))
				if !bytes.Equal(got, want) {
					t.Fatalf("rows differ from the transcript's\nwant: %s\ngot:  %s", want, got)
				}
				for _, c := range r.fake.Calls() {
					if c.Error != 0 {
						t.Errorf("the fake OA refused %s: %d %s", c.Path, c.Error, c.Desc)
					}
				}
			})
		}
	}
}

// step plays one transcript input as the Zalo user.
func (r *rig) step(user string, n int, in string) {
	r.t.Helper()
	verb, rest, _ := strings.Cut(in, " ")
	switch {
	case strings.HasPrefix(verb, "/"):
		r.say(user, in)
	case verb == "text":
		r.say(user, rest)
	case verb == "tap":
		r.tap(user, rest)
	case verb == "stale":
		// The button of the list before the newest, or the number typed
		// before the newest list was shown.
		if b, ok := r.buttonFor(user, rest, 1); ok {
			r.act(user, func() (zalotest.Delivery, error) { return r.fake.Press(user, b) })
		} else if num, ok := r.olderNumber(rest); ok {
			r.act(user, func() (zalotest.Delivery, error) {
				return r.fake.SendTextAt(user, num, r.clk.Now().Add(-time.Minute))
			})
		} else {
			r.t.Fatalf("step %d: no earlier offer of %s", n, rest)
		}
	case verb == "contact":
		phone := strings.NewReplacer("+", "", " ", "").Replace(rest)
		r.act(user, func() (zalotest.Delivery, error) { return r.fake.SubmitInfo(user, phone) })
	case verb == "media":
		kind := map[string]string{"photo": "image", "sticker": "sticker", "voice": "audio"}[rest]
		r.act(user, func() (zalotest.Delivery, error) { return r.fake.SendMedia(user, kind) })
	case verb == "repeat":
		// A lost answer is Telegram's transport's matter (answered_version);
		// nothing for the person to do.
	default:
		r.t.Fatalf("step %d: input %q", n, in)
	}
}

// olderNumber is the number of option id in the newest list before the
// current one that offered it.
func (r *rig) olderNumber(id string) (string, bool) {
	for i := len(r.menus) - 2; i >= 0; i-- {
		if n, ok := number(r.menus[i], id); ok {
			return n, true
		}
	}
	return "", false
}

// fixture makes the transcripts' world: the communes, sample courses and
// two communes' bank days, and the person (on Zalo) with what Given says.
func (r *rig) fixture(user, lang string, given []string) int64 {
	r.t.Helper()
	if lang == "" {
		lang = "vi"
	}
	now := r.clk.Now()
	var id int64
	err := r.db.InTx(r.ctx, func(tx *store.Tx) error {
		if _, err := refdata.LoadCommunes(r.ctx, tx); err != nil {
			return err
		}
		if _, err := refdata.LoadSampleCourses(r.ctx, tx, now); err != nil {
			return err
		}
		all, err := refdata.Communes()
		if err != nil {
			return err
		}
		var two []flows.Commune
		for _, c := range all {
			if c.Code == "07339" || c.Code == "07840" {
				two = append(two, c)
			}
		}
		if _, err := refdata.LoadLoanDays(r.ctx, tx, refdata.SampleLoanDays(two, now, 3, 2)); err != nil {
			return err
		}
		p, err := tx.TouchPerson(r.ctx, "zalo", user, user, lang)
		if err != nil {
			return err
		}
		id = p.ID
		for _, g := range given {
			if err := flowtest.Given(r.ctx, tx, id, g, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.t.Fatalf("fixture: %v", err)
	}
	return id
}

func (r *rig) rows(person int64) map[string]any {
	r.t.Helper()
	q := func(query string) []map[string]any {
		rows, err := r.x.Queryx(query, person)
		if err != nil {
			r.t.Fatal(err)
		}
		defer rows.Close()
		var out []map[string]any
		for rows.Next() {
			m := map[string]any{}
			if err := rows.MapScan(m); err != nil {
				r.t.Fatal(err)
			}
			for k, v := range m {
				if b, ok := v.([]byte); ok {
					m[k] = string(b)
				}
				if s, ok := m[k].(string); ok && k == "answers" {
					var a any
					if json.Unmarshal([]byte(s), &a) == nil {
						m[k] = a
					}
				}
			}
			out = append(out, m)
		}
		return out
	}
	var elsewhere int
	if err := r.x.Get(&elsewhere, `SELECT count(*) FROM consents WHERE person_id = $1 AND channel IS DISTINCT FROM 'zalo'`, person); err != nil || elsewhere > 0 {
		r.t.Fatalf("%d consents not recorded as given on Zalo (%v)", elsewhere, err)
	}
	out := map[string]any{"person": q(`SELECT language, full_name, birth_year, gender, phone, commune_code,
		to_char(sentence_end, 'YYYY-MM-DD') AS sentence_end, education, vt_support_before, vt_support_unknown FROM people WHERE id = $1`)[0]}
	for key, query := range map[string]string{
		"consents":     `SELECT purpose, granted, text_version, language, evidence IS NOT NULL AS has_evidence FROM consents WHERE person_id = $1 ORDER BY id`,
		"cases":        `SELECT id, kind, status, commune_code, answers::text AS answers, course_id, appointment_id, updated_at > opened_at AS updated_later FROM cases WHERE person_id = $1 ORDER BY id`,
		"appointments": `SELECT id, loan_day_id, status FROM appointments WHERE person_id = $1 ORDER BY id`,
	} {
		if rs := q(query); len(rs) > 0 {
			out[key] = rs
		}
	}
	return out
}

// overZalo is a transcript's rows as the same conversation leaves them on
// Zalo: the consents name the channel the person used, and the notice
// they agreed to names Zalo rather than Telegram, so its hash differs;
// the rest is identical. (That the consents record "zalo" is checked in
// rows.)
func overZalo(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var rows map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	cs, _ := rows["consents"].([]any)
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok {
			delete(m, "channel")
			delete(m, "text_hash")
		}
	}
	return rows
}

func canonical(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}
