package flows

import (
	"slices"
	"strconv"
	"strings"

	"github.com/looplab/fsm"
)

// menu shows the main menu.
func (r *run) menu() error {
	r.conv.Flow, r.conv.State = flowMenu, stateMenu
	r.reply("menu_prompt", nil, pairs([]Option{
		opt("m:job", "btn_menu_job"), opt("m:course", "btn_menu_course"),
		opt("m:loan", "btn_menu_loan"), opt("m:counsel", "btn_menu_counsel"),
		opt("m:papers", "btn_menu_papers"), opt("m:mydata", "btn_menu_mydata"),
		opt("m:lang", "btn_menu_lang"), opt("m:help", "btn_menu_help"),
	})...)
	return nil
}

func (r *run) menuInput() error {
	switch r.choice() {
	case "m:job":
		return r.begin(flowJob)
	case "m:course":
		return r.begin(flowCourse)
	case "m:loan":
		return r.begin(flowLoan)
	case "m:counsel":
		return r.begin(flowCounsel)
	case "m:mydata":
		return r.begin(flowMyData)
	case "m:lang":
		r.langPicker()
		return nil
	case "m:papers":
		return r.begin(flowPapers) // help.go
	case "m:help":
		r.reply("services_info", nil)
		r.reply("help_text", nil)
		return r.menu()
	}
	if r.in.Kind == InMedia {
		r.reply("unsupported_input", nil)
	} else {
		r.reply("menu_hint", nil)
	}
	return r.menu()
}

// Consent: the notice at first contact, choosing purposes one by one, and
// asking for the one purpose a flow needs.

func consentFlow() *flowDef {
	f := &flowDef{name: flowConsent, states: map[string]*step{
		stateIntro: {ask: consentIntroAsk, take: consentIntroTake},
		"choose":   {ask: consentChooseAsk, take: consentChooseTake},
		"purpose":  {ask: consentPurposeAsk, take: consentPurposeTake},
		"withdraw": {ask: consentWithdrawAsk, take: consentWithdrawTake}, // consent.go
	}}
	f.steps = func(r *run) []string { return []string{r.conv.State} }
	f.extra = func(r *run) fsm.Events {
		evs := fsm.Events{
			{Name: "choose", Src: []string{stateIntro}, Dst: "choose"},
			{Name: "withdraw", Src: []string{"choose"}, Dst: "withdraw"},
			{Name: eventBack, Src: []string{"withdraw"}, Dst: "choose"},
		}
		if r.d.Back == "" {
			evs = append(evs, fsm.EventDesc{Name: eventBack, Src: []string{"choose"}, Dst: stateIntro})
		}
		return evs
	}
	f.done = func(r *run) error {
		then, back := r.d.Then, r.d.Back
		r.reset()
		switch {
		case then != "":
			return r.begin(then)
		case back != "":
			return r.begin(back)
		}
		return r.menu()
	}
	return f
}

func consentIntroAsk(r *run) error {
	other := Option{ID: "lang:en", Label: "English"}
	if r.lang == "en" {
		other = Option{ID: "lang:vi", Label: "Tiếng Việt"}
	}
	r.question("privacy_notice", r.e.notice.params(true, r.p), // notice.go
		row(opt("agree_all", "btn_agree_all")),
		row(opt("choose", "btn_consent_choose"), opt("decline", "btn_decline")),
		row(other))
	return nil
}

func consentIntroTake(r *run) (string, error) {
	switch r.choice() {
	case "agree_all":
		all := map[Purpose]bool{}
		for _, p := range Purposes {
			all[p] = true
		}
		if err := r.decide(all, r.shownHash("privacy_notice", r.e.notice.params(true, r.p))); err != nil {
			return "", err
		}
		r.reply("consent_thanks", nil)
		return eventAnswer, nil
	case "choose":
		r.d.Picked = nil
		return "choose", nil
	case "decline":
		if err := r.decide(map[Purpose]bool{}, r.shownHash("privacy_notice", r.e.notice.params(true, r.p))); err != nil {
			return "", err
		}
		r.reply("consent_declined", nil)
		r.d.Then = ""
		return eventAnswer, nil
	}
	return "", r.expect(&step{})
}

func consentChooseAsk(r *run) error {
	var rows [][]Option
	for _, p := range Purposes {
		rows = append(rows, row(checkOpt("p:"+string(p), "purpose_"+string(p), slices.Contains(r.d.Picked, p))))
	}
	rows = append(rows, row(opt("done", "btn_done")))
	r.question("consent_choose", nil, rows...)
	return nil
}

func consentChooseTake(r *run) (string, error) {
	c := r.choice()
	switch {
	case strings.HasPrefix(c, "p:") && slices.Contains(Purposes, Purpose(c[2:])):
		p := Purpose(c[2:])
		if i := slices.Index(r.d.Picked, p); i >= 0 {
			r.d.Picked = slices.Delete(r.d.Picked, i, i+1)
		} else {
			r.d.Picked = append(r.d.Picked, p)
		}
		return "", r.ask()
	case c == "done":
		// A withdrawal that closes an open request is asked about first.
		kinds, _, err := r.withdrawing(r.pickedSet())
		if err != nil {
			return "", err
		}
		if len(kinds) > 0 {
			return "withdraw", nil
		}
		return r.saveChoice(hashText(r.chooseText())) // consent.go
	}
	return "", r.expect(&step{})
}

func consentPurposeText(r *run) (string, map[string]any) {
	return "consent_need_" + string(r.d.Need), r.e.notice.params(false, r.p)
}

func consentPurposeAsk(r *run) error {
	key, params := consentPurposeText(r)
	r.question(key, params, row(opt("yes", "btn_agree"), opt("no", "btn_no_thanks")))
	return nil
}

func consentPurposeTake(r *run) (string, error) {
	switch r.choice() {
	case "yes":
		cs, err := r.consentsNow()
		if err != nil {
			return "", err
		}
		m := map[Purpose]bool{}
		for p, g := range cs {
			m[p] = g
		}
		m[r.d.Need] = true
		if err := r.decide(m, r.shownHash(consentPurposeText(r))); err != nil {
			return "", err
		}
		return eventAnswer, nil
	case "no":
		r.reply("consent_not_given", nil)
		r.reset()
		return "", r.menu()
	}
	return "", r.expect(&step{})
}

// My data: see the profile and the consents, edit a field, change the
// consents, delete.

var editableFields = []string{"name", "birth_year", "gender", "phone", "commune", "education", "sentence_end", "vt_support"}

func myDataFlow() *flowDef {
	f := &flowDef{name: flowMyData, states: map[string]*step{
		"view":   {ask: myDataAsk, take: myDataTake},
		"pick":   {ask: myDataPickAsk, take: myDataPickTake},
		"delete": {ask: myDataDeleteAsk, take: myDataDeleteTake},
	}}
	f.steps = func(r *run) []string { return []string{"view"} }
	f.extra = func(r *run) fsm.Events {
		return fsm.Events{
			{Name: "pick", Src: []string{"view"}, Dst: "pick"},
			{Name: "delete", Src: []string{"view"}, Dst: "delete"},
			{Name: eventBack, Src: []string{"pick", "delete"}, Dst: "view"},
		}
	}
	f.done = func(r *run) error { r.reset(); return r.menu() }
	return f
}

func (r *run) profileParams(p *Profile) map[string]any {
	dash := "—"
	v := func(s string) string {
		if s == "" {
			return dash
		}
		return s
	}
	m := map[string]any{
		"Name": v(p.FullName), "Phone": v(p.Phone), "Commune": v(p.CommuneName),
		"BirthYear": dash, "Gender": dash, "Education": dash, "Returned": dash,
	}
	if p.BirthYear != 0 {
		m["BirthYear"] = strconv.Itoa(p.BirthYear)
	}
	if p.Gender != "" {
		m["Gender"] = r.label("gender_"+p.Gender, nil)
	}
	if p.Education != "" {
		m["Education"] = r.label("edu_"+p.Education, nil)
	}
	if p.SentenceEnd != nil {
		m["Returned"] = monthYear(*p.SentenceEnd)
	}
	m["VTSupport"] = dash
	switch {
	case p.VTSupportBefore != nil:
		m["VTSupport"] = r.label(map[bool]string{true: "btn_yes", false: "btn_no"}[*p.VTSupportBefore], nil)
	case p.VTSupportUnknown:
		m["VTSupport"] = r.label("btn_not_sure", nil)
	}
	return m
}

func myDataAsk(r *run) error {
	p, err := r.profile()
	if err != nil {
		return err
	}
	cs, err := r.consentsNow()
	if err != nil {
		return err
	}
	params := r.profileParams(p)
	var lines []string
	for _, pu := range Purposes {
		mark := "✗"
		if cs[pu] {
			mark = "✓"
		}
		lines = append(lines, mark+" "+r.label("purpose_"+string(pu), map[string]any{"On": false}))
	}
	params["Consents"] = strings.Join(lines, "\n")
	params["Months"] = r.e.notice.RetentionMonths
	r.question("mydata_view", params,
		row(opt("edit", "btn_edit_data"), opt("consents", "btn_consents")),
		row(opt("delete", "btn_delete_data"), opt("menu", "btn_menu")))
	return nil
}

func myDataTake(r *run) (string, error) {
	switch r.choice() {
	case "edit":
		// Seeing and correcting what is stored needs no consent: a person
		// who withdrew or never agreed may still fix or clear it.
		return "pick", nil
	case "consents":
		return "", r.toConsentChoose()
	case "delete":
		return "delete", nil
	case "menu":
		r.reset()
		return "", r.command2("menu") // before any decision: the notice (engine.go)
	}
	return "", r.expect(&step{})
}

func (r *run) toConsentChoose() error {
	r.conv.Flow, r.conv.State = flowConsent, "choose"
	r.d = convData{Back: flowMyData}
	if err := r.pickGranted(); err != nil {
		return err
	}
	return r.ask()
}

// pickGranted ticks, in the choice, the purposes granted now.
func (r *run) pickGranted() error {
	cs, err := r.consentsNow()
	if err != nil {
		return err
	}
	r.d.Picked = nil
	for _, p := range Purposes {
		if cs[p] {
			r.d.Picked = append(r.d.Picked, p)
		}
	}
	return nil
}

func myDataPickAsk(r *run) error {
	var o []Option
	for _, f := range editableFields {
		o = append(o, opt("f:"+f, "field_"+f))
	}
	r.question("mydata_pick", nil, pairs(o)...)
	return nil
}

func myDataPickTake(r *run) (string, error) {
	c := r.choice()
	if f, ok := strings.CutPrefix(c, "f:"); ok && slices.Contains(editableFields, f) {
		r.conv.Flow, r.conv.State = flowProfile, f
		r.d = convData{Steps: []string{f}, Then: flowMyData, Back: flowMyData}
		return "", r.ask()
	}
	return "", r.expect(&step{})
}

func myDataDeleteAsk(r *run) error {
	r.question("mydata_delete_confirm", nil, row(opt("yes", "btn_delete_yes"), opt("no", "btn_keep")))
	return nil
}

func myDataDeleteTake(r *run) (string, error) {
	switch r.choice() {
	case "yes":
		if err := r.erase(); err != nil { // rights.go
			return "", err
		}
		r.reply("mydata_deleted", nil)
		r.reset()
		return "", r.menu()
	case "no":
		return eventBack, nil
	}
	return "", r.expect(&step{})
}
