package flows

import "slices"

// Papers & other help (issue 17, item 7): first a card of where to go and
// what to bring, which asks for no consent and stores nothing; then, only
// if the person asks, a request to a counsellor under the purpose "other".

// helpAreas are the card's topics a request can be about, in its order.
var helpAreas = []string{"id", "insurance", "social", "legal", "health", "family", "other"}

func papersFlow() *flowDef {
	f := &flowDef{name: flowPapers, states: map[string]*step{
		"card": {ask: papersAsk, take: papersTake},
	}}
	f.steps = func(r *run) []string { return []string{"card"} }
	f.done = func(r *run) error { r.reset(); return r.menu() }
	return f
}

func papersAsk(r *run) error {
	r.reply("papers_info", nil)
	r.question("papers_offer", nil, row(opt("ask", "btn_papers_help")), row(opt("menu", "btn_menu")))
	return nil
}

func papersTake(r *run) (string, error) {
	switch r.choice() {
	case "ask":
		return "", r.begin(flowHelp)
	case "menu":
		r.reset()
		return "", r.menu()
	}
	// The card asks nothing: anything else is read as at the menu, without
	// sending the long card again.
	r.reset()
	return "", r.menuInput()
}

func helpFlow() *flowDef {
	f := &flowDef{
		name:     flowHelp,
		purposes: []Purpose{PurposeOther},
		profile:  []string{fieldName, fieldPhone, fieldCommune},
		states: map[string]*step{
			"area":   {ask: helpAreaAsk, take: helpAreaTake},
			"reason": {kind: askText, ask: helpReasonAsk, take: helpReasonTake},
		},
	}
	f.steps = func(r *run) []string { return []string{"area", "reason"} }
	f.start = func(r *run) error {
		r.d.Counsel, r.d.Back = &counselAnswers{}, flowPapers // Back on the first step: the card again
		return nil
	}
	f.done = func(r *run) error {
		return r.finishCase(CaseDraft{Kind: "other", Answers: mustJSON(r.d.Counsel)})
	}
	return f
}

func helpAreaAsk(r *run) error {
	o := make([]Option, 0, len(helpAreas))
	for _, a := range helpAreas {
		o = append(o, opt("a:"+a, "help_area_"+a))
	}
	r.question("ask_help_area", nil, pairs(o)...)
	return nil
}

func helpAreaTake(r *run) (string, error) {
	if a := r.choice(); len(a) > 2 && a[:2] == "a:" && slices.Contains(helpAreas, a[2:]) {
		r.d.Counsel.Area = a[2:]
		return eventAnswer, nil
	}
	return "", r.expect(&step{})
}

func helpReasonAsk(r *run) error {
	r.question("ask_help_reason", map[string]any{"Max": maxFreeText}, row(opt("skip", "btn_skip")))
	return nil
}

// helpReasonTake takes a few words on the need; the area alone is enough
// for a counsellor to call, so the person may skip.
func helpReasonTake(r *run) (string, error) {
	if r.choice() == "skip" {
		r.d.Counsel.Reason = ""
		return eventAnswer, nil
	}
	return takeReason(r)
}
