package flows

import (
	"encoding/json"
	"fmt"

	"reentrybot/i18n"
)

// CaseView spells out a case's answers for a counsellor in lang: a catalog
// message ("card_<kind>") and its parameters, built like the summary the
// person confirmed. Parameter values are plain text for the channel to
// escape.
func (e *Engine) CaseView(lang, kind string, answers json.RawMessage) (string, map[string]any, error) {
	r := &run{e: e, lang: i18n.Normalize(lang)}
	switch kind {
	case "job":
		var a jobAnswers
		if err := json.Unmarshal(answers, &a); err != nil {
			return "", nil, fmt.Errorf("job answers: %w", err)
		}
		return "card_job", jobParams(r, &a), nil
	case "course":
		var a courseAnswers
		if err := json.Unmarshal(answers, &a); err != nil {
			return "", nil, fmt.Errorf("course answers: %w", err)
		}
		return "card_course", map[string]any{
			"Title": a.Title, "Trade": r.label("trade_"+a.Trade, map[string]any{"On": false}),
			"Place": r.label("where_"+a.Place, nil), "Prior": priorLabel(r, &a),
			"Groups": groupsLabel(r, &a),
		}, nil
	case "loan":
		var a loanAnswers
		if err := json.Unmarshal(answers, &a); err != nil {
			return "", nil, fmt.Errorf("loan answers: %w", err)
		}
		return "card_loan", loanParams(r, &a), nil
	case "other":
		var a counselAnswers
		if err := json.Unmarshal(answers, &a); err != nil {
			return "", nil, fmt.Errorf("counsellor answers: %w", err)
		}
		area := ""
		if a.Area != "" {
			area = r.label("help_area_"+a.Area, nil)
		}
		return "card_other", map[string]any{"Area": area, "Reason": a.Reason}, nil
	}
	return "", nil, fmt.Errorf("unknown case kind %q", kind)
}
