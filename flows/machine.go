package flows

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/looplab/fsm"
)

// Flow names, as stored in conversations.flow.
const (
	flowMenu      = "menu"
	flowConsent   = "consent"
	flowProfile   = "profile"
	flowMyData    = "mydata"
	flowJob       = "job"
	flowCourse    = "course"
	flowLoan      = "loan"
	flowCounsel   = "counsellor"
	flowPapers    = "papers"
	flowHelp      = "help"
	stateMenu     = "menu"
	stateIntro    = "intro"
	stateSummary  = "summary"
	stateDone     = "done"
	eventAnswer   = "answer"
	eventBack     = "back"
	eventConfirm  = "confirm"
	editPrefix    = "edit_"
	maxFreeText   = 500
	pageSize      = 8
	maxNameRunes  = 100
	maxOtherTrade = 100
)

// convData is the conversation's data column: the answers so far and
// where to go next. Only the part of the current flow is set.
type convData struct {
	Touched time.Time `json:"touched,omitzero"`
	// Then is the flow to begin when this one (consent or profile) ends;
	// Back is where Back on the first step leads (default: the menu).
	Then    string    `json:"then,omitempty"`
	Back    string    `json:"back,omitempty"`
	Need    Purpose   `json:"need,omitempty"`
	Steps   []string  `json:"steps,omitempty"`
	Editing bool      `json:"editing,omitempty"`
	Leave   string    `json:"leave,omitempty"`
	Search  string    `json:"search,omitempty"`
	Page    int       `json:"page,omitempty"`
	Picked  []Purpose `json:"picked,omitempty"`
	// Hint is the commune a deep link named (hint.go); unlike the rest it
	// outlives flows: step carries it over every reset.
	Hint string `json:"hint,omitempty"`
	// Result is what a correction from My data did when it was not a new
	// answer: "kept" or "cleared" (profile.go).
	Result string `json:"result,omitempty"`

	Job     *jobAnswers     `json:"job,omitempty"`
	Course  *courseAnswers  `json:"course,omitempty"`
	Loan    *loanAnswers    `json:"loan,omitempty"`
	Counsel *counselAnswers `json:"counsel,omitempty"`
}

type askKind int

const (
	askChoice askKind = iota // buttons only
	askText                  // typed text (some steps also offer buttons)
)

// step is one state of a flow: its question and how it takes an answer.
type step struct {
	kind askKind
	// contact: a shared phone number is an answer here.
	contact bool
	// parent names the step this sub-state belongs to (answering it moves
	// on like answering the parent; Back returns to the parent).
	parent string
	ask    func(r *run) error
	// take handles the input and returns the event to fire, or "" when it
	// has replied itself (an invalid answer, a toggle).
	take func(r *run) (string, error)
}

// flowDef describes a flow: its steps in order, its extra transitions and
// what happens when it is done.
type flowDef struct {
	name     string
	purposes []Purpose // at least one must be consented to
	profile  []string  // profile fields the flow needs
	states   map[string]*step
	steps    func(r *run) []string
	summary  bool
	// noEditReturn: editing these from the summary walks the steps after
	// them again instead of returning straight to the summary.
	noEditReturn map[string]bool
	extra        func(r *run) fsm.Events
	// gate, when it says stop, keeps the person out of the flow (it has
	// replied); it is asked before consent and again after the profile.
	gate  func(r *run) (stop bool, err error)
	start func(r *run) error
	done  func(r *run) error
}

func (f *flowDef) state(name string) *step {
	if f == nil {
		return nil
	}
	if name == stateSummary && f.summary {
		return summaryStep
	}
	return f.states[name]
}

var flowDefs map[string]*flowDef

func init() {
	flowDefs = map[string]*flowDef{
		flowConsent: consentFlow(),
		flowProfile: profileFlow(),
		flowMyData:  myDataFlow(),
		flowJob:     jobFlow(),
		flowCourse:  courseFlow(),
		flowLoan:    loanFlow(),
		flowCounsel: counselFlow(),
		flowPapers:  papersFlow(),
		flowHelp:    helpFlow(),
	}
}

// run is the handling of one input.
type run struct {
	e    *Engine
	ctx  context.Context
	st   Store
	p    Person
	in   Input
	lang string
	conv *Conversation
	d    convData
	now  time.Time
	out  Outcome

	prof     *Profile
	consents map[Purpose]bool
	// hint is convData.Hint while the input is handled (hint.go).
	hint string
}

// line is the flow's linear order of states, summary included.
func (r *run) line(f *flowDef) []string {
	l := f.steps(r)
	if f.summary {
		l = append(l, stateSummary)
	}
	return l
}

// events builds the transition table from the stored data: the machine is
// rebuilt for every input and never kept.
func (r *run) events(f *flowDef) fsm.Events {
	line := r.line(f)
	var evs fsm.Events
	editing := r.d.Editing && f.summary
	for i, s := range line {
		if s == stateSummary {
			evs = append(evs, fsm.EventDesc{Name: eventConfirm, Src: []string{s}, Dst: stateDone})
			for _, x := range line[:i] {
				evs = append(evs, fsm.EventDesc{Name: editPrefix + x, Src: []string{s}, Dst: x})
			}
			if i > 0 {
				evs = append(evs, fsm.EventDesc{Name: eventBack, Src: []string{s}, Dst: line[i-1]})
			}
			continue
		}
		next := stateDone
		if i+1 < len(line) {
			next = line[i+1]
		}
		if editing {
			next = stateSummary
		}
		srcs := []string{s}
		for name, st := range f.states {
			if st.parent == s {
				srcs = append(srcs, name)
				evs = append(evs, fsm.EventDesc{Name: eventBack, Src: []string{name}, Dst: s})
			}
		}
		evs = append(evs, fsm.EventDesc{Name: eventAnswer, Src: srcs, Dst: next})
		switch {
		case editing:
			evs = append(evs, fsm.EventDesc{Name: eventBack, Src: []string{s}, Dst: stateSummary})
		case i > 0:
			evs = append(evs, fsm.EventDesc{Name: eventBack, Src: []string{s}, Dst: line[i-1]})
		}
	}
	if f.extra != nil {
		evs = append(evs, f.extra(r)...)
	}
	return evs
}

func (r *run) machine() (*flowDef, *fsm.FSM) {
	f := flowDefs[r.conv.Flow]
	return f, fsm.NewFSM(r.conv.State, r.events(f), fsm.Callbacks{})
}

// fire moves the current flow by event and asks the next question.
func (r *run) fire(ev string) error {
	f, m := r.machine()
	err := m.Event(context.WithoutCancel(r.ctx), ev)
	var noTr fsm.NoTransitionError
	var inv fsm.InvalidEventError
	var unk fsm.UnknownEventError
	switch {
	case err == nil, errors.As(err, &noTr):
	case errors.As(err, &inv), errors.As(err, &unk):
		r.reply("expect_button", nil)
		return r.ask()
	default:
		return fmt.Errorf("event %s: %w", ev, err)
	}
	r.conv.State = m.Current()
	if r.conv.State == stateSummary {
		r.d.Editing = false
	}
	if r.conv.State == stateDone {
		return f.done(r)
	}
	return r.ask()
}

// back goes to the previous question, or out of the flow from the first.
func (r *run) back() error {
	_, m := r.machine()
	if m.Can(eventBack) {
		return r.fire(eventBack)
	}
	to := r.d.Back
	r.reset()
	if to != "" {
		return r.begin(to)
	}
	return r.menu()
}

// begin starts a flow, asking first for a missing consent and missing
// profile answers.
func (r *run) begin(name string) error {
	if name == flowMenu || name == "" {
		r.reset()
		return r.menu()
	}
	f := flowDefs[name]
	if f.gate != nil {
		if stop, err := f.gate(r); stop || err != nil {
			return err
		}
	}
	if len(f.purposes) > 0 {
		cs, err := r.consentsNow()
		if err != nil {
			return err
		}
		ok := false
		for _, p := range f.purposes {
			ok = ok || cs[p]
		}
		if !ok {
			r.conv.Flow, r.conv.State = flowConsent, "purpose"
			r.d = convData{Then: name, Need: f.purposes[0]}
			return r.ask()
		}
	}
	if len(f.profile) > 0 {
		p, err := r.profile()
		if err != nil {
			return err
		}
		if miss := missing(p, f.profile); len(miss) > 0 {
			r.conv.Flow, r.conv.State = flowProfile, miss[0]
			r.d = convData{Then: name, Steps: miss}
			r.reply("profile_intro", nil)
			return r.ask()
		}
	}
	r.conv.Flow = name
	r.d = convData{}
	if f.start != nil {
		if err := f.start(r); err != nil {
			return err
		}
	}
	r.conv.State = f.steps(r)[0]
	return r.ask()
}

// Replies and options.

func (r *run) reply(key string, params map[string]any, rows ...[]Option) {
	r.out.Replies = append(r.out.Replies, Reply{Key: key, Params: params, Options: rows})
}

// question replies with the step's options and the Back/Cancel/Help row.
func (r *run) question(key string, params map[string]any, rows ...[]Option) {
	rows = append(rows, navRow())
	r.reply(key, params, rows...)
}

func opt(id, key string) Option { return Option{ID: id, Key: key} }

func row(o ...Option) []Option { return o }

func navRow() []Option {
	return row(opt("back", "btn_back"), opt("cancel", "btn_cancel"), opt("help", "btn_help"))
}

// pairs lays options out two to a row.
func pairs(o []Option) [][]Option {
	var rows [][]Option
	for i := 0; i < len(o); i += 2 {
		rows = append(rows, o[i:min(i+2, len(o))])
	}
	return rows
}

// checkOpt is a toggle: its label template shows ✓ when On.
func checkOpt(id, key string, on bool) Option {
	return Option{ID: id, Key: key, Params: map[string]any{"On": on}}
}

// choice returns the pressed option id, or "" for any other input.
func (r *run) choice() string {
	if r.in.Kind == InChoice {
		return r.in.Choice
	}
	return ""
}

// label renders a catalog text for use inside a parameter (summaries).
func (r *run) label(key string, params map[string]any) string {
	s, err := r.e.catalog.Render(r.lang, key, params)
	if err != nil {
		return key
	}
	return s
}

// Person data, read once per input.

func (r *run) profile() (*Profile, error) {
	if r.prof == nil {
		p, err := r.st.Profile(r.ctx, r.p.ID)
		if err != nil {
			return nil, err
		}
		r.prof = &p
	}
	return r.prof, nil
}

func (r *run) saveProfile() error {
	if err := r.st.SaveProfile(r.ctx, r.p.ID, *r.prof); err != nil {
		return err
	}
	if r.prof.CommuneCode != "" {
		r.hint = "" // the person has a commune: a hint has done its work
	}
	return nil
}

func (r *run) consentsNow() (map[Purpose]bool, error) {
	if r.consents == nil {
		cs, err := r.st.Consents(r.ctx, r.p.ID)
		if err != nil {
			return nil, err
		}
		r.consents = cs
	}
	return r.consents, nil
}

func (r *run) anyDecided() (bool, error) {
	cs, err := r.consentsNow()
	return len(cs) > 0, err
}

// decide records the decisions that change something (or are the first);
// shown is the hash of the text the person answered (consent.go).
func (r *run) decide(granted map[Purpose]bool, shown string) error {
	cs, err := r.consentsNow()
	if err != nil {
		return err
	}
	var kinds []string
	for _, p := range Purposes {
		g := granted[p]
		was, ok := cs[p]
		if ok && was == g {
			continue
		}
		if err := r.st.RecordConsent(r.ctx, Consent{PersonID: r.p.ID, Purpose: p, Granted: g, TextVersion: ConsentTextVersion, TextHash: shown, Lang: r.lang, At: r.now}); err != nil {
			return err
		}
		cs[p] = g
		if was && !g && purposeKind[p] != "" {
			kinds = append(kinds, purposeKind[p])
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	other := purposeKind[PurposeOther]
	if !cs[PurposeOther] && !cs[PurposeJob] && !cs[PurposeTraining] && !cs[PurposeLoan] && !slices.Contains(kinds, other) {
		// A counsellor request made before "other" had a purpose of its own
		// rested on any of the three.
		kinds = append(kinds, other)
	}
	// A withdrawal has effects: the requests it covered close, and
	// nothing more is sent about them.
	closed, err := r.st.CloseOnWithdrawal(r.ctx, r.p.ID, kinds, r.now)
	if err != nil {
		return err
	}
	if len(closed) > 0 {
		r.reply("consent_withdrawn_closed", map[string]any{"Count": len(closed)})
		r.out.Cases = append(r.out.Cases, closed...)
	}
	return nil
}

// purposeKind is the kind of case each purpose's requests open.
var purposeKind = map[Purpose]string{PurposeJob: "job", PurposeTraining: "course", PurposeLoan: "loan", PurposeOther: "other"}

// today is the date in the people's time zone, as a UTC midnight.
func (r *run) today() time.Time {
	t := r.now.In(r.e.hours.Loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// summaryStep is the generic summary: confirm, or edit one answer.
var summaryStep *step

func init() {
	summaryStep = &step{
		ask: func(r *run) error { return flowDefs[r.conv.Flow].summaryAsk(r) },
		take: func(r *run) (string, error) {
			c := r.choice()
			switch {
			case c == "confirm":
				return eventConfirm, nil
			case strings.HasPrefix(c, "e:"):
				r.d.Editing = !flowDefs[r.conv.Flow].noEditReturn[c[2:]]
				return editPrefix + c[2:], nil
			}
			r.reply("expect_button", nil)
			return "", r.ask()
		},
	}
}

func (f *flowDef) summaryAsk(r *run) error {
	switch f.name {
	case flowJob:
		return jobSummary(r)
	case flowCourse:
		return courseSummary(r)
	case flowLoan:
		return loanSummary(r)
	}
	return fmt.Errorf("flow %s has no summary", f.name)
}

// editRows offers the summary's confirm button and one edit button per
// answer, two to a row.
func editRows(fields []string, keyPrefix string) [][]Option {
	var o []Option
	for _, f := range fields {
		o = append(o, opt("e:"+f, keyPrefix+f))
	}
	rows := [][]Option{row(opt("confirm", "btn_confirm"))}
	return append(rows, pairs(o)...)
}
