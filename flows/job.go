package flows

import (
	"errors"
	"slices"
	"strings"
)

// Trades offered when looking for work or a course. The list is the
// product's own; the counsellors see the codes.
var trades = []string{"factory", "garment", "construction", "mechanic", "electric", "driver", "farming", "cooking", "repair", "sales"}

var (
	jobWhere    = []string{"own_commune", "province", "elsewhere"}
	jobHours    = []string{"full", "part", "either"}
	jobStart    = []string{"now", "month", "later"}
	jobBarriers = []string{"papers", "transport", "tools", "none"}
	jobFields   = []string{"trades", "where", "hours", "start", "skills", "barriers"}
)

type jobAnswers struct {
	Trades      []string `json:"trades"`
	TradesOther string   `json:"trades_other,omitempty"`
	Where       string   `json:"where"`
	Hours       string   `json:"hours"`
	Start       string   `json:"start"`
	Skills      string   `json:"skills,omitempty"`
	Barriers    []string `json:"barriers"`
}

func jobFlow() *flowDef {
	f := &flowDef{
		name:     flowJob,
		purposes: []Purpose{PurposeJob},
		profile:  fullProfile,
		summary:  true,
		states: map[string]*step{
			"trades":   {kind: askText, ask: askTrades, take: takeTrades},
			"where":    choiceStep("ask_job_where", "where_", jobWhere, func(a *jobAnswers, v string) { a.Where = v }),
			"hours":    choiceStep("ask_job_hours", "hours_", jobHours, func(a *jobAnswers, v string) { a.Hours = v }),
			"start":    choiceStep("ask_job_start", "start_", jobStart, func(a *jobAnswers, v string) { a.Start = v }),
			"skills":   {kind: askText, ask: askSkills, take: takeSkills},
			"barriers": {ask: askBarriers, take: takeBarriers},
		},
	}
	f.steps = func(r *run) []string { return jobFields }
	f.start = func(r *run) error { r.d.Job = &jobAnswers{}; return nil }
	f.done = func(r *run) error {
		return r.finishCase(CaseDraft{Kind: "job", Answers: mustJSON(r.d.Job)})
	}
	return f
}

// choiceStep is a job question answered with one button.
func choiceStep(key, labelPrefix string, vals []string, set func(*jobAnswers, string)) *step {
	return &step{
		ask: func(r *run) error {
			var o []Option
			for _, v := range vals {
				o = append(o, opt("v:"+v, labelPrefix+v))
			}
			r.question(key, nil, pairs(o)...)
			return nil
		},
		take: func(r *run) (string, error) {
			v, ok := strings.CutPrefix(r.choice(), "v:")
			if !ok || !slices.Contains(vals, v) {
				return "", r.expect(&step{})
			}
			set(r.d.Job, v)
			return eventAnswer, nil
		},
	}
}

func toggle(list []string, v string) []string {
	if i := slices.Index(list, v); i >= 0 {
		return slices.Delete(list, i, i+1)
	}
	return append(list, v)
}

func askTrades(r *run) error {
	a := r.d.Job
	var o []Option
	for _, t := range trades {
		o = append(o, checkOpt("t:"+t, "trade_"+t, slices.Contains(a.Trades, t)))
	}
	rows := append(pairs(o), row(opt("done", "btn_done")))
	r.question("ask_job_trades", map[string]any{"Other": a.TradesOther}, rows...)
	return nil
}

func takeTrades(r *run) (string, error) {
	a := r.d.Job
	if r.in.Kind == InText {
		s, err := CleanText(r.in.Text, maxOtherTrade, false)
		switch {
		case errors.Is(err, ErrTooLong):
			r.tooLong(s, maxOtherTrade)
		case err != nil:
			r.reply("text_invalid", nil)
		default:
			a.TradesOther = s
		}
		return "", r.ask()
	}
	c := r.choice()
	switch {
	case strings.HasPrefix(c, "t:") && slices.Contains(trades, c[2:]):
		a.Trades = toggle(a.Trades, c[2:])
		return "", r.ask()
	case c == "done":
		if len(a.Trades) == 0 && a.TradesOther == "" {
			r.reply("pick_at_least_one", nil)
			return "", r.ask()
		}
		return eventAnswer, nil
	}
	return "", r.expect(&step{})
}

func askSkills(r *run) error {
	r.question("ask_job_skills", map[string]any{"Max": maxFreeText}, row(opt("skip", "btn_skip")))
	return nil
}

func takeSkills(r *run) (string, error) {
	if r.choice() == "skip" {
		r.d.Job.Skills = ""
		return eventAnswer, nil
	}
	s, ok := r.textAnswer()
	if !ok {
		return "", nil
	}
	s, err := CleanText(s, maxFreeText, true)
	switch {
	case errors.Is(err, ErrTooLong):
		r.tooLong(s, maxFreeText)
		return "", r.ask()
	case err != nil:
		r.reply("text_invalid", nil)
		return "", r.ask()
	}
	r.d.Job.Skills = s
	return eventAnswer, nil
}

func askBarriers(r *run) error {
	var o []Option
	for _, b := range jobBarriers {
		o = append(o, checkOpt("b:"+b, "barrier_"+b, slices.Contains(r.d.Job.Barriers, b)))
	}
	rows := append(pairs(o), row(opt("done", "btn_done")))
	r.question("ask_job_barriers", nil, rows...)
	return nil
}

func takeBarriers(r *run) (string, error) {
	a := r.d.Job
	c := r.choice()
	switch {
	case strings.HasPrefix(c, "b:") && slices.Contains(jobBarriers, c[2:]):
		b := c[2:]
		// "Nothing" excludes the others.
		if b == "none" {
			if slices.Contains(a.Barriers, "none") {
				a.Barriers = nil
			} else {
				a.Barriers = []string{"none"}
			}
		} else {
			a.Barriers = toggle(slices.DeleteFunc(a.Barriers, func(s string) bool { return s == "none" }), b)
		}
		return "", r.ask()
	case c == "done":
		if len(a.Barriers) == 0 {
			r.reply("pick_at_least_one", nil)
			return "", r.ask()
		}
		return eventAnswer, nil
	}
	return "", r.expect(&step{})
}

func jobSummary(r *run) error {
	r.question("job_summary", jobParams(r, r.d.Job), editRows(jobFields, "btn_edit_")...)
	return nil
}

// jobParams spells out the job answers, for the person's summary and the
// counsellor's case card alike.
func jobParams(r *run, a *jobAnswers) map[string]any {
	kinds := r.labelsOf("trade_", a.Trades)
	if a.TradesOther != "" {
		if kinds != "" {
			kinds += ", "
		}
		kinds += a.TradesOther
	}
	skills := a.Skills
	if skills == "" {
		skills = "—"
	}
	return map[string]any{
		"Trades":   kinds,
		"Where":    r.label("where_"+a.Where, nil),
		"Hours":    r.label("hours_"+a.Hours, nil),
		"Start":    r.label("start_"+a.Start, nil),
		"Skills":   skills,
		"Barriers": r.labelsOf("barrier_", a.Barriers),
	}
}

// labelsOf renders toggle labels (their ✓ off) joined by commas, in the
// order of the list.
func (r *run) labelsOf(prefix string, vals []string) string {
	var out []string
	for _, v := range vals {
		out = append(out, r.label(prefix+v, map[string]any{"On": false}))
	}
	return strings.Join(out, ", ")
}
