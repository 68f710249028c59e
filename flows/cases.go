package flows

import "encoding/json"

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain answer structs are marshalled
	}
	return b
}

// finishCase opens the case (or updates the open one of its kind), tells
// the person its number, what happens next and when, and shows the menu.
func (r *run) finishCase(d CaseDraft) error {
	p, err := r.profile()
	if err != nil {
		return err
	}
	d.PersonID, d.At, d.CommuneCode = r.p.ID, r.now, p.CommuneCode
	ref, err := r.st.SaveCase(r.ctx, d)
	if err != nil {
		return err
	}
	r.out.Cases = append(r.out.Cases, ref)
	key := "case_opened"
	if !ref.Created {
		key = "case_updated"
	}
	r.reply(key, map[string]any{
		"ID":   ref.ID,
		"Next": r.label("next_"+d.Kind, nil),
		"When": r.when(),
	})
	r.reset()
	return r.menu()
}
