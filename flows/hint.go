package flows

import "strings"

// HintPrefix starts a /start argument naming a commune: a poster's QR code
// opens the bot with "/start c_<code>" (Telegram's ?start=c_<code>, the web
// chat's /chat?c=<code>), and the profile then offers that commune first.
const HintPrefix = "c_"

// Answers to the hint question at the commune step.
const (
	hintYes = "hint:yes"
	hintNo  = "hint:no"
)

// rememberHint keeps the commune a /start argument names, when it is an
// active commune of the official list and the person has none yet. Anything
// else is ignored without a word: a link is not the person's doing.
func (r *run) rememberHint() error {
	code, ok := strings.CutPrefix(r.in.Arg, HintPrefix)
	if r.in.Command != "start" || !ok || !communeCode(code) {
		return nil
	}
	p, err := r.profile()
	if err != nil || p.CommuneCode != "" {
		return err
	}
	if _, ok := r.lookupCommune(code); ok {
		r.hint = code
	}
	return nil
}

// lookupCommune reads an active commune. Like the commune buttons, a code
// that cannot be read is no commune: the store's not-found is not ours to
// name, and a real database failure aborts the transaction, so the save
// after it fails and nothing is half-written.
func (r *run) lookupCommune(code string) (Commune, bool) {
	c, err := r.st.Commune(r.ctx, code)
	return c, err == nil && c.Active
}

// communeCode: official commune codes are five digits; anything else is
// not looked up.
func communeCode(s string) bool {
	if len(s) != 5 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// hinted returns the hinted commune, ok false when there is none or it
// has left the list since (the hint is then dropped).
func (r *run) hinted() (Commune, bool) {
	if r.hint == "" {
		return Commune{}, false
	}
	c, ok := r.lookupCommune(r.hint)
	if !ok {
		r.hint = ""
	}
	return c, ok
}

// askHint asks "Bạn ở Xã …?" at the commune step; false when there is no
// hint to offer.
func (r *run) askHint() bool {
	c, ok := r.hinted()
	if ok {
		r.question("commune_hint_confirm", map[string]any{"Commune": communeLabel(c)},
			row(opt(hintYes, "btn_right"), opt(hintNo, "btn_no")))
	}
	return ok
}

// takeHint answers the hint question: yes saves the commune, no drops the
// hint and asks for the name as before. handled is false when the input is
// not about the hint; typed text is then a search, and drops the hint too.
func (r *run) takeHint() (ev string, handled bool, err error) {
	switch r.choice() {
	case hintYes:
		c, ok := r.hinted()
		if !ok {
			return "", true, r.ask()
		}
		ev, err := r.saveCommune(c)
		return ev, true, err
	case hintNo:
		r.hint = ""
		return "", true, r.ask()
	}
	if r.in.Kind == InText {
		r.hint = ""
	}
	return "", false, nil
}
