package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// Consent evidence and the question before a withdrawal (issue 16, item 3).

// shownHash is the hex SHA-256 of a catalog text as the person read it
// (their language, the configured values): recorded with each decision, it
// proves which words a grant or a withdrawal answered.
func (r *run) shownHash(key string, params map[string]any) string {
	s, err := r.e.catalog.Render(r.lang, key, params)
	if err != nil {
		s = key // the hash then names the key; Render fails only on a broken catalog
	}
	return hashText(s)
}

// chooseText is the text of the purpose-by-purpose choice: the question
// and each purpose's own line, unticked (the ticks are the answer).
func (r *run) chooseText() string {
	var b strings.Builder
	b.WriteString(r.label("consent_choose", nil))
	for _, p := range Purposes {
		b.WriteString("\n" + r.label("purpose_"+string(p), map[string]any{"On": false}))
	}
	return b.String()
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// withdrawing lists the open requests a choice would close: the kinds of
// the purposes granted now and not in picked ("other", the meet-a-
// counsellor request, when none of the three is left), with whether one
// holds a booked appointment.
func (r *run) withdrawing(picked map[Purpose]bool) (kinds []string, appointment bool, err error) {
	cs, err := r.consentsNow()
	if err != nil {
		return nil, false, err
	}
	var check []string
	for _, p := range Purposes {
		if cs[p] && !picked[p] && purposeKind[p] != "" {
			check = append(check, purposeKind[p])
		}
	}
	if len(check) > 0 && !picked[PurposeJob] && !picked[PurposeTraining] && !picked[PurposeLoan] {
		check = append(check, "other")
	}
	for _, k := range check {
		oc, ok, err := r.st.OpenCaseOf(r.ctx, r.p.ID, k)
		if err != nil {
			return nil, false, err
		}
		if ok {
			kinds = append(kinds, k)
			appointment = appointment || oc.AppointmentID != nil
		}
	}
	return kinds, appointment, nil
}

func (r *run) pickedSet() map[Purpose]bool {
	m := map[Purpose]bool{}
	for _, p := range r.d.Picked {
		m[p] = true
	}
	return m
}

// withdrawParams say what the withdrawal closes, in the person's words.
func (r *run) withdrawParams() (map[string]any, error) {
	kinds, appt, err := r.withdrawing(r.pickedSet())
	if err != nil {
		return nil, err
	}
	var names []string
	for _, k := range kinds {
		names = append(names, r.label("request_kind_"+k, nil))
	}
	return map[string]any{"Count": len(kinds), "Requests": strings.Join(names, ", "), "Appointment": appt}, nil
}

func consentWithdrawAsk(r *run) error {
	params, err := r.withdrawParams()
	if err != nil {
		return err
	}
	if params["Count"] == 0 { // closed meanwhile: nothing to warn about
		r.conv.State = "choose"
		return consentChooseAsk(r)
	}
	r.question("consent_withdraw_confirm", params,
		row(opt("yes", "btn_withdraw_yes"), opt("no", "btn_withdraw_no")))
	return nil
}

func consentWithdrawTake(r *run) (string, error) {
	switch r.choice() {
	case "yes":
		params, err := r.withdrawParams()
		if err != nil {
			return "", err
		}
		return r.saveChoice(r.shownHash("consent_withdraw_confirm", params))
	case "no":
		// Keep what the person has now; they may choose again.
		if err := r.pickGranted(); err != nil { // menu.go
			return "", err
		}
		r.reply("consent_kept", nil)
		return eventBack, nil
	}
	return "", r.expect(&step{})
}

// saveChoice records the purposes ticked in the choice and leaves it.
func (r *run) saveChoice(shown string) (string, error) {
	m := r.pickedSet()
	if err := r.decide(m, shown); err != nil {
		return "", err
	}
	if len(m) == 0 {
		r.reply("consent_declined", nil)
	} else {
		r.reply("consent_saved", nil)
	}
	if then := flowDefs[r.d.Then]; then != nil && !slices.ContainsFunc(then.purposes, func(p Purpose) bool { return m[p] }) {
		r.d.Then = ""
	}
	return eventAnswer, nil
}
