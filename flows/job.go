package flows

import (
	"errors"
	"slices"
	"strings"

	"reentrybot/domain"
)

// Trades offered when looking for work or a course (domain.Trades: the
// list is the product's own; the counsellors see the codes).
var trades = domain.Trades()

// The status, qualification, wage, abroad and priority answers follow the
// labour-supply record the Employment Service Centre keeps (Circular
// 01/2022/TT-BLĐTBXH), so a registration is copied there without asking again.
var (
	jobStatuses = []string{"employed", "casual", "none"}
	// Technical qualification, apart from schooling (the profile's education).
	jobQualifications = []string{"none", "short", "elementary", "intermediate", "college", "university"}
	jobWhere          = []string{"own_commune", "province", "elsewhere"}
	jobHours          = []string{"full", "part", "either"}
	jobWages          = []string{"lt5", "5to7", "7to10", "gt10", "any"}
	jobStart          = []string{"now", "month", "later"}
	jobAbroad         = []string{"yes", "maybe", "no"}
	jobBarriers       = []string{"papers", "transport", "tools", "none"}
	jobPriorities     = []string{"disability", "ethnic_minority", "poor", "near_poor"}
	jobFields         = []string{"trades", "status", "qualification", "where", "hours", "wage", "start", "abroad", "skills", "barriers", "priority"}
)

type jobAnswers struct {
	Status        string   `json:"work_status,omitempty"`
	Trades        []string `json:"trades"`
	TradesOther   string   `json:"trades_other,omitempty"`
	Qualification string   `json:"qualification,omitempty"`
	Where         string   `json:"where"`
	Hours         string   `json:"hours"`
	Wage          string   `json:"wage,omitempty"` // desired monthly wage range
	Start         string   `json:"start"`
	Abroad        string   `json:"abroad,omitempty"`
	Skills        string   `json:"skills,omitempty"`
	Barriers      []string `json:"barriers"`
	// Priority groups the person chose to name (optional; none is an answer).
	Priority []string `json:"priority,omitempty"`
}

func jobFlow() *flowDef {
	f := &flowDef{
		name:     flowJob,
		purposes: []Purpose{PurposeJob},
		profile:  fullProfile,
		summary:  true,
		states: map[string]*step{
			"status":        choiceStep("ask_job_status", "work_status_", jobStatuses, func(a *jobAnswers, v string) { a.Status = v }),
			"trades":        {kind: askText, ask: askTrades, take: takeTrades},
			"qualification": choiceStep("ask_job_qualification", "qual_", jobQualifications, func(a *jobAnswers, v string) { a.Qualification = v }),
			"where":         choiceStep("ask_job_where", "where_", jobWhere, func(a *jobAnswers, v string) { a.Where = v }),
			"hours":         choiceStep("ask_job_hours", "hours_", jobHours, func(a *jobAnswers, v string) { a.Hours = v }),
			"wage":          choiceStep("ask_job_wage", "wage_", jobWages, func(a *jobAnswers, v string) { a.Wage = v }),
			"start":         choiceStep("ask_job_start", "start_", jobStart, func(a *jobAnswers, v string) { a.Start = v }),
			"abroad":        choiceStep("ask_job_abroad", "abroad_", jobAbroad, func(a *jobAnswers, v string) { a.Abroad = v }),
			"skills":        {kind: askText, ask: askSkills, take: takeSkills},
			"barriers": multiStep("ask_job_barriers", "b:", "barrier_", jobBarriers,
				func(a *jobAnswers) *[]string { return &a.Barriers }, pickBarrier, true),
			"priority": multiStep("ask_job_priority", "p:", "priority_", jobPriorities,
				func(a *jobAnswers) *[]string { return &a.Priority }, pickPriority, false),
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
	if r.d.Job.Skills != "" { // asked again from the summary: keep or clear, said plainly
		r.question("ask_job_skills", map[string]any{"Max": maxFreeText}, row(opt("keep", "btn_keep_as_is"), opt("clear", "btn_clear_answer")))
		return nil
	}
	r.question("ask_job_skills", map[string]any{"Max": maxFreeText}, row(opt("skip", "btn_skip")))
	return nil
}

func takeSkills(r *run) (string, error) {
	switch r.choice() {
	case "skip":
		r.d.Job.Skills = ""
		return eventAnswer, nil
	case "keep":
		r.reply("answer_kept", nil)
		return eventAnswer, nil
	case "clear":
		r.d.Job.Skills = ""
		r.reply("answer_cleared", nil)
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

// multiStep is a job question answered by ticking options, then Done.
// pick applies a tick (an option may clear others); required: Done needs
// at least one tick.
func multiStep(key, idPrefix, labelPrefix string, vals []string, field func(*jobAnswers) *[]string, pick func([]string, string) []string, required bool) *step {
	return &step{
		ask: func(r *run) error {
			var o []Option
			for _, v := range vals {
				o = append(o, checkOpt(idPrefix+v, labelPrefix+v, slices.Contains(*field(r.d.Job), v)))
			}
			r.question(key, nil, append(pairs(o), row(opt("done", "btn_done")))...)
			return nil
		},
		take: func(r *run) (string, error) {
			list := field(r.d.Job)
			c := r.choice()
			switch v, ok := strings.CutPrefix(c, idPrefix); {
			case ok && slices.Contains(vals, v):
				*list = pick(*list, v)
				return "", r.ask()
			case c == "done":
				if required && len(*list) == 0 {
					r.reply("pick_at_least_one", nil)
					return "", r.ask()
				}
				return eventAnswer, nil
			}
			return "", r.expect(&step{})
		},
	}
}

// pickBarrier: "nothing" excludes the others.
func pickBarrier(list []string, b string) []string {
	if b == "none" {
		if slices.Contains(list, "none") {
			return nil
		}
		return []string{"none"}
	}
	return toggle(slices.DeleteFunc(list, func(s string) bool { return s == "none" }), b)
}

// pickPriority: a household is poor or near-poor, not both; none ticked
// is an answer too.
func pickPriority(list []string, p string) []string {
	other := map[string]string{"poor": "near_poor", "near_poor": "poor"}[p]
	return toggle(slices.DeleteFunc(list, func(s string) bool { return s == other }), p)
}

// optLabel renders one answer's label, or "—" for a question not answered
// (a request made before it was asked).
func (r *run) optLabel(prefix, v string) string {
	if v == "" {
		return "—"
	}
	return r.label(prefix+v, nil)
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
	priority := r.labelsOf("priority_", a.Priority)
	if priority == "" {
		priority = "—"
	}
	return map[string]any{
		"Status":        r.optLabel("work_status_", a.Status),
		"Trades":        kinds,
		"Qualification": r.optLabel("qual_", a.Qualification),
		"Where":         r.label("where_"+a.Where, nil),
		"Hours":         r.label("hours_"+a.Hours, nil),
		"Wage":          r.optLabel("wage_", a.Wage),
		"Start":         r.label("start_"+a.Start, nil),
		"Abroad":        r.optLabel("abroad_", a.Abroad),
		"Skills":        skills,
		"Barriers":      r.labelsOf("barrier_", a.Barriers),
		"Priority":      priority,
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
