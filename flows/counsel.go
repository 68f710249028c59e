package flows

import "errors"

// counselAnswers are a request to a counsellor: from "meet a counsellor"
// (a reason) or from the papers card (an area, and a reason if given).
type counselAnswers struct {
	Area   string `json:"area,omitempty"`
	Reason string `json:"reason"`
}

func counselFlow() *flowDef {
	f := &flowDef{
		name:     flowCounsel,
		purposes: []Purpose{PurposeOther},
		profile:  []string{fieldName, fieldPhone, fieldCommune},
		states: map[string]*step{
			"reason": {kind: askText, ask: askReason, take: takeReason},
		},
	}
	f.steps = func(r *run) []string { return []string{"reason"} }
	f.start = func(r *run) error { r.d.Counsel = &counselAnswers{}; return nil }
	f.done = func(r *run) error {
		return r.finishCase(CaseDraft{Kind: "other", Answers: mustJSON(r.d.Counsel)})
	}
	return f
}

func askReason(r *run) error {
	r.question("ask_counsel_reason", map[string]any{"Max": maxFreeText})
	return nil
}

func takeReason(r *run) (string, error) {
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
	r.d.Counsel.Reason = s
	return eventAnswer, nil
}
