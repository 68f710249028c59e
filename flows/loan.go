package flows

import (
	"strconv"
	"strings"
	"time"
)

var (
	loanPurposes = []string{"business", "study"}
	loanAmounts  = []string{"lt50", "50to100", "gt100"}
	loanDaysShow = 4
)

type loanAnswers struct {
	Purpose     string `json:"purpose"`
	Amount      string `json:"amount"`
	Certificate string `json:"certificate"` // yes, no
	AskReturned bool   `json:"ask_returned,omitempty"`
	// Returned is the month/year the person came back ("05/2024"), when
	// known; Within5 answers "in the last five years?" otherwise.
	Returned        string `json:"returned,omitempty"`
	ReturnedSkipped bool   `json:"returned_skipped,omitempty"`
	Within5         string `json:"within_5_years,omitempty"` // yes, no
	Cosigner        string `json:"cosigner"`                 // yes, no
	Debt            string `json:"overdue_debt"`             // yes, no
	DayID           int64  `json:"loan_day_id,omitempty"`
	Day             string `json:"loan_day,omitempty"`
	NoDayFits       bool   `json:"no_day_fits,omitempty"`
}

func loanFlow() *flowDef {
	f := &flowDef{
		name:     flowLoan,
		purposes: []Purpose{PurposeLoan},
		profile:  fullProfile,
		summary:  true,
		states: map[string]*step{
			"purpose":        loanChoice("ask_loan_purpose", "loan_purpose_", loanPurposes, func(a *loanAnswers, v string) { a.Purpose = v }),
			"amount":         loanChoice("ask_loan_amount", "loan_amount_", loanAmounts, func(a *loanAnswers, v string) { a.Amount = v }),
			"certificate":    loanChoice("ask_loan_certificate", "btn_", []string{"yes", "no"}, func(a *loanAnswers, v string) { a.Certificate = v }),
			fieldSentenceEnd: {kind: askText, ask: askSentenceEnd, take: takeSentenceEnd},
			"within5":        loanChoice("ask_loan_within5", "btn_", []string{"yes", "no"}, func(a *loanAnswers, v string) { a.Within5 = v }),
			"cosigner":       loanChoice("ask_loan_cosigner", "btn_", []string{"yes", "no"}, func(a *loanAnswers, v string) { a.Cosigner = v }),
			"debt":           loanChoice("ask_loan_debt", "btn_", []string{"yes", "no"}, func(a *loanAnswers, v string) { a.Debt = v }),
			"day":            {ask: askLoanDay, take: takeLoanDay},
		},
	}
	f.steps = func(r *run) []string {
		s := []string{"purpose", "amount", "certificate"}
		if r.d.Loan.AskReturned {
			s = append(s, fieldSentenceEnd)
		}
		if r.d.Loan.Returned == "" {
			s = append(s, "within5")
		}
		return append(s, "cosigner", "debt", "day")
	}
	f.start = func(r *run) error {
		p, err := r.profile()
		if err != nil {
			return err
		}
		a := &loanAnswers{AskReturned: p.SentenceEnd == nil}
		if p.SentenceEnd != nil {
			a.Returned = monthYear(*p.SentenceEnd)
		}
		r.d.Loan = a
		return nil
	}
	f.done = finishLoan
	return f
}

func loanChoice(key, labelPrefix string, vals []string, set func(*loanAnswers, string)) *step {
	return &step{
		ask: func(r *run) error {
			var o []Option
			for _, v := range vals {
				o = append(o, opt("v:"+v, labelPrefix+v))
			}
			rows := pairs(o)
			if len(vals) == 3 {
				rows = nil
				for _, x := range o {
					rows = append(rows, row(x))
				}
			}
			r.question(key, nil, rows...)
			return nil
		},
		take: func(r *run) (string, error) {
			v, ok := strings.CutPrefix(r.choice(), "v:")
			if !ok || !contains(vals, v) {
				return "", r.expect(&step{})
			}
			set(r.d.Loan, v)
			return eventAnswer, nil
		},
	}
}

func (r *run) loanDays() ([]LoanDay, error) {
	p, err := r.profile()
	if err != nil {
		return nil, err
	}
	return r.st.LoanDays(r.ctx, p.CommuneCode, r.today(), loanDaysShow)
}

func dayLabel(d LoanDay) string {
	return d.Day.Format("02/01") + " " + d.StartsAt + "–" + d.EndsAt + " · " + d.Place
}

func askLoanDay(r *run) error {
	days, err := r.loanDays()
	if err != nil {
		return err
	}
	p, _ := r.profile()
	if len(days) == 0 {
		r.question("loan_no_day", map[string]any{"Commune": p.CommuneName}, row(opt("d:none", "btn_continue")))
		return nil
	}
	var rows [][]Option
	for _, d := range days {
		rows = append(rows, row(Option{ID: "d:" + strconv.FormatInt(d.ID, 10), Label: dayLabel(d)}))
	}
	rows = append(rows, row(opt("d:none", "btn_no_day_fits")))
	r.question("ask_loan_day", map[string]any{"Commune": p.CommuneName}, rows...)
	return nil
}

func takeLoanDay(r *run) (string, error) {
	v, ok := strings.CutPrefix(r.choice(), "d:")
	if !ok {
		return "", r.expect(&step{})
	}
	a := r.d.Loan
	if v == "none" {
		a.DayID, a.Day, a.NoDayFits = 0, "", true
		return eventAnswer, nil
	}
	id, _ := strconv.ParseInt(v, 10, 64)
	days, err := r.loanDays()
	if err != nil {
		return "", err
	}
	for _, d := range days {
		if d.ID == id {
			a.DayID, a.Day, a.NoDayFits = d.ID, dayLabel(d), false
			return eventAnswer, nil
		}
	}
	r.reply("loan_day_full", nil)
	return "", r.ask()
}

func (r *run) yesNo(v string) string {
	if v == "" {
		return "—"
	}
	return r.label("btn_"+v, nil)
}

func loanSummary(r *run) error {
	a := r.d.Loan
	fields := []string{"purpose", "amount", "certificate"}
	if a.AskReturned {
		fields = append(fields, fieldSentenceEnd)
	}
	if a.Returned == "" {
		fields = append(fields, "within5")
	}
	fields = append(fields, "cosigner", "debt", "day")
	r.question("loan_summary", loanParams(r, a), editRows(fields, "btn_edit_loan_")...)
	return nil
}

// loanParams spells out the loan answers, for the person's summary and the
// counsellor's case card alike.
func loanParams(r *run, a *loanAnswers) map[string]any {
	returned := a.Returned
	if returned == "" {
		returned = r.label("loan_within5_"+a.Within5, nil)
	}
	day := a.Day
	if day == "" {
		day = r.label("loan_day_counsellor", nil)
	}
	return map[string]any{
		"Purpose":     r.label("loan_purpose_"+a.Purpose, nil),
		"Amount":      r.label("loan_amount_"+a.Amount, nil),
		"Certificate": r.yesNo(a.Certificate),
		"Returned":    returned,
		"Cosigner":    r.yesNo(a.Cosigner),
		"Debt":        r.yesNo(a.Debt),
		"Day":         day,
	}
}

// finishLoan books the chosen day (capacity-safe, in the store) and opens
// or updates the loan case. A day filled in the meantime asks again.
func finishLoan(r *run) error {
	a := r.d.Loan
	if a.Returned != "" {
		if t, err := time.Parse("01/2006", a.Returned); err == nil {
			a.Within5 = map[bool]string{true: "yes", false: "no"}[!t.AddDate(5, 0, 0).Before(r.today())]
		}
	}
	open, hasOpen, err := r.st.OpenCaseOf(r.ctx, r.p.ID, "loan")
	if err != nil {
		return err
	}
	var appt *int64
	var booked *LoanDay
	keep := hasOpen && open.LoanDayID != nil && *open.LoanDayID == a.DayID
	switch {
	case a.DayID != 0 && keep:
		appt = open.AppointmentID
	case a.DayID != 0:
		days, err := r.loanDays()
		if err != nil {
			return err
		}
		for i := range days {
			if days[i].ID == a.DayID {
				booked = &days[i]
			}
		}
		id, ok, err := r.st.BookAppointment(r.ctx, r.p.ID, a.DayID, r.now)
		if err != nil {
			return err
		}
		if !ok || booked == nil {
			r.reply("loan_day_full", nil)
			a.DayID, a.Day = 0, ""
			r.conv.State = "day"
			return r.ask()
		}
		appt = &id
	}
	if hasOpen && open.AppointmentID != nil && !keep {
		if err := r.st.CancelAppointment(r.ctx, *open.AppointmentID, r.now); err != nil {
			return err
		}
	}
	if booked != nil {
		r.reply("loan_booked", map[string]any{
			"Date": date(booked.Day), "From": booked.StartsAt, "To": booked.EndsAt, "Place": booked.Place,
		})
	}
	return r.finishCase(CaseDraft{Kind: "loan", AppointmentID: appt, Answers: mustJSON(a)})
}
