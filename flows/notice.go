package flows

// The privacy notice (issue 16, item 4): built from the configuration, so
// that what a person is told (who is responsible, how to reach them, how
// long data is kept) is what the running program does. It is shown before
// consent and answers /privacy in every state of every flow.

// DefaultRetentionMonths is the retention the notice states when none is
// configured on the engine (the program's default, RETENTION_MONTHS).
const DefaultRetentionMonths = 24

// Notice is what the privacy notice says that comes from configuration.
type Notice struct {
	Controller string // who decides how the data is used (the data controller)
	Contact    string // how to reach them about the data
	// RetentionMonths: data of a person inactive this long is erased; 0
	// means nothing is erased automatically.
	RetentionMonths int
}

// WithNotice sets what the privacy notice names.
func WithNotice(n Notice) EngineOption { return func(e *Engine) { e.notice = n } }

// SetNotice sets what the privacy notice names; the transport calls it
// once, before the engine handles any input, with its own settings.
func (e *Engine) SetNotice(n Notice) { e.notice = n }

// params are the notice's template parameters; ask adds the consent
// question at its end.
func (n Notice) params(ask bool, p Person) map[string]any {
	return map[string]any{"Controller": n.Controller, "Contact": n.Contact, "Months": n.RetentionMonths, "Ask": ask,
		"Carrier": p.Carrier, "Abroad": p.CarrierAbroad}
}

// privacy answers /privacy with the notice, then asks the current
// question again. Before consent that question is the notice itself.
func (r *run) privacy() error {
	if r.conv.Flow != "" && (r.conv.Flow != flowConsent || r.conv.State != stateIntro) {
		r.reply("privacy_notice", r.e.notice.params(false, r.p))
	}
	return r.ask()
}
