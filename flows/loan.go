package flows

import (
	"strconv"
	"strings"
	"time"
)

var (
	loanPurposes = []string{"business", "study"}
	// The ranges fit what the bank lends (Decision 22/2023/QĐ-TTg): up to
	// 100 million đồng for a business, up to 4 million a month for study.
	// The bank's staff confirm the amount; the bot promises none.
	loanAmountsBusiness = []string{"lt30", "30to50", "50to100", "unsure"}
	loanAmountsStudy    = []string{"lt2m", "2to4m", "unsure"}
	// loanAmountsBefore are the ranges asked before, still in stored cases.
	loanAmountsBefore = []string{"lt50", "gt100"}
	// amnesty: the certificate given on an early release; it counts too.
	loanCertificates = []string{"yes", "amnesty", "no"}
	yesNo            = []string{"yes", "no"}
	loanDaysShow     = 4
)

type loanAnswers struct {
	Purpose     string `json:"purpose"`
	Amount      string `json:"amount"`
	Certificate string `json:"certificate"` // yes, amnesty, no
	AskReturned bool   `json:"ask_returned,omitempty"`
	// Returned is the month/year the person came back ("05/2024"), when
	// known; Within5 answers "in the last five years?" otherwise.
	Returned        string `json:"returned,omitempty"`
	ReturnedSkipped bool   `json:"returned_skipped,omitempty"`
	Within5         string `json:"within_5_years,omitempty"` // yes, no
	// HouseholdRep: an adult of the household can represent it and sign
	// (the bank lends through the household); no means the person signs.
	HouseholdRep string `json:"household_rep"`     // yes, no
	Debt         string `json:"vbsp_overdue_debt"` // yes, no: overdue at the bank for social policies
	// Cosigner and AnyDebt are the answers of cases stored before the
	// questions above, shown on their cards.
	Cosigner  string `json:"cosigner,omitempty"`
	AnyDebt   string `json:"overdue_debt,omitempty"`
	Over5Told bool   `json:"over5_told,omitempty"`
	DayID     int64  `json:"loan_day_id,omitempty"`
	Day       string `json:"loan_day,omitempty"`
	NoDayFits bool   `json:"no_day_fits,omitempty"`
}

// over5 reports whether the person came back more than five years before
// today: by the month given, else by the answer to "in the last five years?".
func (a *loanAnswers) over5(today time.Time) bool {
	if a.Returned != "" {
		if t, err := time.Parse("01/2006", a.Returned); err == nil {
			return t.AddDate(5, 0, 0).Before(today)
		}
	}
	return a.Within5 == "no"
}

func loanAmounts(a *loanAnswers) []string {
	if a.Purpose == "study" {
		return loanAmountsStudy
	}
	return loanAmountsBusiness
}

func loanFlow() *flowDef {
	fixed := func(v []string) func(*loanAnswers) []string { return func(*loanAnswers) []string { return v } }
	is := func(key string) func(*loanAnswers) string { return func(*loanAnswers) string { return key } }
	amountKey := func(a *loanAnswers) string {
		if a.Purpose == "study" {
			return "ask_loan_amount_study"
		}
		return "ask_loan_amount"
	}
	f := &flowDef{
		name:     flowLoan,
		purposes: []Purpose{PurposeLoan},
		profile:  fullProfile,
		summary:  true,
		// The amounts offered depend on the purpose.
		noEditReturn: map[string]bool{"purpose": true},
		states: map[string]*step{
			"purpose":        loanChoice(is("ask_loan_purpose"), fixed(loanPurposes), "loan_purpose_", func(a *loanAnswers, v string) { a.Purpose = v }),
			"amount":         loanChoice(amountKey, loanAmounts, "loan_amount_", func(a *loanAnswers, v string) { a.Amount = v }),
			"certificate":    loanChoice(is("ask_loan_certificate"), fixed(loanCertificates), "loan_cert_", func(a *loanAnswers, v string) { a.Certificate = v }),
			fieldSentenceEnd: {kind: askText, ask: askSentenceEnd, take: takeSentenceEnd},
			"within5":        loanChoice(is("ask_loan_within5"), fixed(yesNo), "btn_", func(a *loanAnswers, v string) { a.Within5 = v }),
			// The state keeps its stored name; it asks about the household.
			"cosigner": withOver5Note(loanChoice(is("ask_loan_household"), fixed(yesNo), "loan_household_", func(a *loanAnswers, v string) { a.HouseholdRep = v })),
			"debt":     loanChoice(is("ask_loan_debt"), fixed(yesNo), "btn_", func(a *loanAnswers, v string) { a.Debt = v }),
			"day":      {ask: askLoanDay, take: takeLoanDay},
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
	f.gate = loanGate
	f.done = finishLoan
	return f
}

// loanGate keeps people under 18 out of the loan flow: the bank lends to
// adults. They are offered a job or a course instead.
func loanGate(r *run) (bool, error) {
	p, err := r.profile()
	if err != nil || !r.minor(p) {
		return false, err
	}
	r.reset()
	r.reply("loan_minor", nil, row(opt("m:job", "btn_menu_job"), opt("m:course", "btn_menu_course")))
	return true, nil
}

func loanChoice(key func(*loanAnswers) string, vals func(*loanAnswers) []string, labelPrefix string, set func(*loanAnswers, string)) *step {
	return &step{
		ask: func(r *run) error {
			a := r.d.Loan
			var o []Option
			for _, v := range vals(a) {
				o = append(o, opt("v:"+v, labelPrefix+v))
			}
			rows := pairs(o)
			if len(o) >= 3 {
				rows = nil
				for _, x := range o {
					rows = append(rows, row(x))
				}
			}
			r.question(key(a), nil, rows...)
			return nil
		},
		take: func(r *run) (string, error) {
			v, ok := strings.CutPrefix(r.choice(), "v:")
			if !ok || !contains(vals(r.d.Loan), v) {
				return "", r.expect(&step{})
			}
			set(r.d.Loan, v)
			return eventAnswer, nil
		},
	}
}

// withOver5Note says once, before the step's question, that past five
// years since coming back the special loan may not apply but another does.
func withOver5Note(s *step) *step {
	ask := s.ask
	s.ask = func(r *run) error {
		if a := r.d.Loan; a.over5(r.today()) && !a.Over5Told {
			r.reply("loan_over5", nil)
			a.Over5Told = true
		}
		return ask(r)
	}
	return s
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
	household := "—"
	switch {
	case a.HouseholdRep != "":
		household = r.label("loan_household_"+a.HouseholdRep, nil)
	case a.Cosigner != "":
		household = r.yesNo(a.Cosigner)
	}
	debt := a.Debt
	if debt == "" {
		debt = a.AnyDebt
	}
	certificate := "—"
	if a.Certificate != "" {
		certificate = r.label("loan_cert_"+a.Certificate, nil)
	}
	return map[string]any{
		"Purpose":     r.label("loan_purpose_"+a.Purpose, nil),
		"Amount":      r.label("loan_amount_"+a.Amount, nil),
		"Certificate": certificate,
		"Returned":    returned,
		"Household":   household,
		"Debt":        r.yesNo(debt),
		"Day":         day,
	}
}

// finishLoan books the chosen day (capacity-safe, in the store) and opens
// or updates the loan case. A day filled in the meantime asks again.
func finishLoan(r *run) error {
	a := r.d.Loan
	if a.Returned != "" {
		a.Within5 = map[bool]string{true: "no", false: "yes"}[a.over5(r.today())]
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
	saved := *a
	saved.Over5Told = false // a note of the conversation, not an answer
	return r.finishCase(CaseDraft{Kind: "loan", AppointmentID: appt, Answers: mustJSON(saved)})
}
