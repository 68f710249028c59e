package bot_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"reentrybot/clock"
	"reentrybot/refdata"
	"reentrybot/store"
)

// loadSamples adds the sample courses and bank days to the communes.
func (r *rig) loadSamples() {
	r.t.Helper()
	r.loadCommunes()
	if err := r.db.InTx(r.ctx, func(tx *store.Tx) error {
		if _, err := refdata.LoadSampleCourses(r.ctx, tx, clock.System()); err != nil {
			return err
		}
		cs, err := refdata.Communes()
		if err != nil {
			return err
		}
		_, err = refdata.LoadLoanDays(r.ctx, tx, refdata.SampleLoanDays(cs, clock.System(), 3, 5))
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
}

// tapFirst presses the first button whose option id starts with prefix
// (a course, a bank day: ids that depend on the data).
func (d *driver) tapFirst(prefix string) string {
	d.r.t.Helper()
	m, data := d.findButtonWhere(d.u.ID, d.Pressed, prefix+"…", func(data string) bool {
		_, id, _ := strings.Cut(data, ":")
		return strings.HasPrefix(id, prefix)
	})
	if _, err := d.r.api.PressButton(d.u, m, data); err != nil {
		d.r.t.Fatal(err)
	}
	d.Pressed = m.ID
	_, id, _ := strings.Cut(data, ":")
	return id
}

// A returnee completes the job, course and loan flows with buttons (typing
// only name, year and the commune search), and the case rows hold the
// answers; the test server accepted every message the bot sent.
func TestThreeFlowsByButtons(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadSamples()
	r.run()
	u := r.api.NewUser("Tâm", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:job", "Đỗ Văn Tâm")
	for _, id := range []string{"t:garment", "t:factory", "done", "v:none", "v:none", "v:province", "v:full", "v:any", "v:now", "v:no", "skip", "b:transport", "done", "done", "confirm"} {
		d.tap(id)
	}
	r.waitText(u.ID, "số 1")
	d.tap("m:course")
	d.tap("t:any")
	d.tap("v:province")
	course := d.tapFirst("k:")
	for _, id := range []string{"register", "no", "confirm"} {
		d.tap(id)
	}
	r.waitText(u.ID, "số 2")
	d.tap("m:loan")
	for _, id := range []string{"v:business", "v:lt30", "v:yes", "skip", "v:yes", "v:yes", "v:no"} {
		d.tap(id)
	}
	day := d.tapFirst("d:")
	d.tap("confirm")
	r.waitText(u.ID, "số 3")

	var cases []struct {
		ID      int64           `db:"id"`
		Kind    string          `db:"kind"`
		Commune string          `db:"commune_code"`
		Answers json.RawMessage `db:"answers"`
		Course  *int64          `db:"course_id"`
		Appt    *int64          `db:"appointment_id"`
	}
	if err := r.x.Select(&cases, `SELECT id, kind, commune_code, answers, course_id, appointment_id FROM cases ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 3 {
		t.Fatalf("%d cases, want 3", len(cases))
	}
	for i, want := range []struct{ kind, answer string }{
		{"job", `"garment"`}, {"course", `"vt_support_before": false`}, {"loan", `"business"`},
	} {
		c := cases[i]
		if c.Kind != want.kind || c.Commune != "07840" || !strings.Contains(string(c.Answers), want.answer) {
			t.Errorf("case %d: %s in %s with %s; want %s containing %s", c.ID, c.Kind, c.Commune, c.Answers, want.kind, want.answer)
		}
	}
	if cases[1].Course == nil || "k:"+itoa(*cases[1].Course) != course {
		t.Errorf("course case holds course %v, the person chose %s", cases[1].Course, course)
	}
	var booked string
	if cases[2].Appt == nil {
		t.Fatal("loan case without an appointment")
	}
	if err := r.x.Get(&booked, `SELECT 'd:' || loan_day_id FROM appointments WHERE id = $1 AND status = 'booked'`, *cases[2].Appt); err != nil || booked != day {
		t.Fatalf("appointment on %q (%v), the person chose %s", booked, err, day)
	}
	for _, c := range r.api.CallLog() {
		if c.Status != 200 {
			t.Errorf("the test server refused %s: %d %s", c.Method, c.Status, c.Description)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// After a restart in the middle of a flow the person continues at the
// same step, pressing the button sent before the restart.
func TestRestartContinuesFlow(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	u := r.api.NewUser("Hùng", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:job", "Vũ Hùng")
	for _, id := range []string{"t:driver", "done", "v:none", "v:none"} {
		d.tap(id)
	}
	where, data := d.findButton(u.ID, "v:province", d.Pressed)

	r.restart()
	if _, err := r.api.PressButton(u, where, data); err != nil {
		t.Fatal(err)
	}
	d.Pressed = where.ID
	d.tap("v:part") // the next step: hours
	var state string
	r.waitFor("the job flow at the wage question", func() bool {
		_ = r.x.Get(&state, `SELECT flow || '/' || state FROM conversations c JOIN people p ON p.id = c.person_id WHERE p.external_id = $1`, itoa(u.ID))
		return state == "job/wage"
	})
}

// Two fast taps on the same button have one effect.
func TestDoubleTapOneEffect(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	u := r.api.NewUser("Kiên", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:job", "Ngô Kiên")
	m, data := d.findButton(u.ID, "t:cooking", d.Pressed)
	id1, err := r.api.PressButton(u, m, data)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := r.api.PressButton(u, m, data)
	if err != nil {
		t.Fatal(err)
	}
	r.waitSeen(id1, id2)
	var answers string
	if err := r.x.Get(&answers, `SELECT data::text FROM conversations c JOIN people p ON p.id = c.person_id WHERE p.external_id = $1`, itoa(u.ID)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answers, `"cooking"`) {
		t.Fatalf("two taps toggled the trade twice (or never): %s", answers)
	}
	// The button is acknowledged just after the commit that waitSeen sees.
	stale := r.cat.T("vi", "button_stale", nil)
	r.waitFor("the second tap answered as stale", func() bool {
		for _, a := range r.api.CallbackAnswers() {
			if a.Text == stale {
				return true
			}
		}
		return false
	})
}

// restart is bottest's Restart with the options of r.opts.
func (r *rig) restart() {
	r.t.Helper()
	r.Rig.Opts = r.opts
	r.Restart()
	r.bot = r.Rig.Bot
}
