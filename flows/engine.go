package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"reentrybot/clock"
	"reentrybot/i18n"
)

// Engine runs inputs through the flows. It holds no per-person state.
type Engine struct {
	now     func() time.Time
	hours   WorkingHours
	idle    time.Duration
	catalog *i18n.Catalog
	notice  Notice // notice.go
}

// EngineOption configures an Engine.
type EngineOption func(*Engine)

// WithWorkingHours sets the counsellors' working hours, used to tell a
// person when to expect an answer.
func WithWorkingHours(h WorkingHours) EngineOption { return func(e *Engine) { e.hours = h } }

// WithIdleTimeout sets how long a conversation may rest before it is
// closed on the person's next input (7 days by default).
func WithIdleTimeout(d time.Duration) EngineOption { return func(e *Engine) { e.idle = d } }

// WithCatalog sets the catalog used to spell out chosen answers in
// summaries (the embedded catalog by default).
func WithCatalog(c *i18n.Catalog) EngineOption { return func(e *Engine) { e.catalog = c } }

// NewEngine returns an engine; now is the program's clock (clock.System
// when nil).
func NewEngine(now func() time.Time, opts ...EngineOption) *Engine {
	if now == nil {
		now = clock.System
	}
	e := &Engine{now: now, hours: DefaultWorkingHours(), idle: 7 * 24 * time.Hour, notice: Notice{RetentionMonths: DefaultRetentionMonths}}
	for _, o := range opts {
		o(e)
	}
	if e.catalog == nil {
		c, err := i18n.Load(nil)
		if err != nil {
			panic(fmt.Sprintf("flows: loading the embedded catalog: %v", err))
		}
		e.catalog = c
	}
	return e
}

// Handle runs one input of person p. The caller commits st's transaction
// and only then delivers the replies.
func (e *Engine) Handle(ctx context.Context, st Store, p Person, in Input) (Outcome, error) {
	c, err := st.Conversation(ctx, p.ID)
	if err != nil {
		return Outcome{}, fmt.Errorf("loading conversation: %w", err)
	}
	return e.HandleLoaded(ctx, st, p, c, in)
}

// HandleLoaded is Handle with the conversation already read in the same
// transaction (the transport reads it first to route what a person writes).
func (e *Engine) HandleLoaded(ctx context.Context, st Store, p Person, c Conversation, in Input) (Outcome, error) {
	return e.step(ctx, st, p, c, in, (*run).handle, true)
}

// Repeat asks the person's current question again, after a note that the
// answer to their last message may not have reached them: the transport
// calls it when a process stopped between committing an update and
// sending its answer. It reports ok false when there is nothing to ask
// (no conversation yet).
func (e *Engine) Repeat(ctx context.Context, st Store, p Person) (out Outcome, ok bool, err error) {
	c, err := st.Conversation(ctx, p.ID)
	if err != nil || c.Flow == "" {
		return Outcome{}, false, err
	}
	// Not the person's doing: the idle clock (Touched) keeps running.
	out, err = e.step(ctx, st, p, c, Input{}, func(r *run) error {
		r.reply("resume_repeat", nil)
		return r.ask()
	}, false)
	return out, err == nil, err
}

// step runs act on the conversation and saves it.
func (e *Engine) step(ctx context.Context, st Store, p Person, c Conversation, in Input, act func(*run) error, touch bool) (Outcome, error) {
	r := &run{e: e, ctx: ctx, st: st, p: p, in: in, conv: &c, now: e.now()}
	r.lang = i18n.Normalize(p.Lang)
	if p.Lang == "" {
		r.lang = i18n.Normalize(p.LangHint)
	}
	r.out.Version = c.Version
	r.out.Lang = r.lang

	// A button offered at another version is old or pressed twice.
	if in.Kind == InChoice && in.Version != c.Version {
		r.out.Toast = "button_stale"
		return r.out, nil
	}
	if len(c.Data) > 0 {
		if err := json.Unmarshal(c.Data, &r.d); err != nil {
			// Unreadable state (an older format): start over at the menu.
			r.d = convData{}
			c.Flow, c.State = flowMenu, stateMenu
		}
	}
	r.hint = r.d.Hint
	if err := act(r); err != nil {
		return Outcome{}, fmt.Errorf("flow %s/%s: %w", c.Flow, c.State, err)
	}
	r.d.Hint = r.hint // flows reset r.d freely; the hint stays (hint.go)
	if touch {
		r.d.Touched = r.now.UTC()
	}
	data, err := json.Marshal(r.d)
	if err != nil {
		return Outcome{}, fmt.Errorf("encoding conversation: %w", err)
	}
	c.Data = data
	if err := st.SaveConversation(ctx, &c); err != nil {
		return Outcome{}, fmt.Errorf("saving conversation: %w", err)
	}
	r.out.Version = c.Version
	r.out.Lang = r.lang
	return r.out, nil
}

// handle decides what the input means: commands and the global buttons
// first, then the current step.
func (r *run) handle() error {
	c, in := r.conv, r.in
	inFlow := c.Flow != "" && c.Flow != flowMenu

	// Idle for too long: close the conversation with a notice.
	if inFlow && !r.d.Touched.IsZero() && r.now.Sub(r.d.Touched) > r.e.idle {
		r.reply("conv_expired", nil)
		r.reset()
		if in.Kind != InCommand {
			return r.menu()
		}
		inFlow = false
	}

	if in.Kind == InCommand {
		return r.command(inFlow)
	}
	if r.d.Leave != "" {
		target := r.d.Leave
		r.d.Leave = ""
		if in.Kind == InChoice && (in.Choice == "leave:yes" || in.Choice == "leave:no") {
			if in.Choice == "leave:no" {
				return r.ask()
			}
			r.reset()
			return r.command2(target)
		}
	}
	if in.Kind == InChoice && len(in.Choice) > 5 && in.Choice[:5] == "lang:" {
		return r.setLanguage(in.Choice[5:])
	}
	if c.Flow == "" {
		return r.firstContact()
	}
	if c.Flow == flowMenu {
		return r.menuInput()
	}
	f := flowDefs[c.Flow]
	st := f.state(c.State)
	if st == nil {
		r.reset()
		return r.menu()
	}
	if in.Kind == InChoice {
		switch in.Choice {
		case "back":
			return r.back()
		case "cancel":
			r.reply("cancelled", nil)
			r.reset()
			return r.menu()
		case "help":
			r.reply("step_help", nil)
			return r.ask()
		}
	}
	if in.Kind == InMedia || (in.Kind == InContact && !st.contact) {
		return r.expect(st)
	}
	ev, err := st.take(r)
	if err != nil || ev == "" {
		return err
	}
	return r.fire(ev)
}

// command handles /start, /menu, /help, /privacy, /language, /mydata,
// /delete.
func (r *run) command(inFlow bool) error {
	switch r.in.Command {
	case "help":
		r.reply("help_text", nil)
		return r.ask()
	case "privacy":
		return r.privacy() // notice.go
	case "language":
		r.langPicker()
		return nil
	case "start", "menu", "mydata", "delete":
		if err := r.rememberHint(); err != nil { // hint.go
			return err
		}
		// /mydata and /delete from My data lose nothing (rights.go).
		stay := r.conv.Flow == flowMyData && r.in.Command != "start" && r.in.Command != "menu"
		if inFlow && r.conv.Flow != "" && !stay && !(r.conv.Flow == flowConsent && r.conv.State == stateIntro) {
			r.d.Leave = r.in.Command
			r.reply("leave_confirm", nil, row(opt("leave:yes", "btn_leave_yes"), opt("leave:no", "btn_leave_no")))
			return nil
		}
		r.d.Leave = ""
		return r.command2(r.in.Command)
	}
	r.reply("unknown_command", nil)
	return r.ask()
}

// command2 runs a leaving command once no flow is in the way.
func (r *run) command2(cmd string) error {
	decided, err := r.anyDecided()
	if err != nil {
		return err
	}
	switch {
	case !decided && cmd != "mydata":
		// Seeing what is stored needs no decision first (issue 16, item 6).
		return r.firstContact()
	case cmd == "start":
		r.reply("start_greeting", map[string]any{"Name": r.p.Name})
		return r.menu()
	case cmd == "mydata":
		return r.myDataWithFile() // rights.go
	case cmd == "delete":
		return r.beginDelete() // rights.go
	}
	return r.menu()
}

// firstContact greets and shows the consent notice.
func (r *run) firstContact() error {
	decided, err := r.anyDecided()
	if err != nil {
		return err
	}
	if decided {
		r.reset()
		return r.menu()
	}
	r.reply("start_greeting", map[string]any{"Name": r.p.Name})
	r.conv.Flow, r.conv.State = flowConsent, stateIntro
	r.d = convData{}
	return r.ask()
}

// ask (re-)asks the current step's question, or shows the menu.
func (r *run) ask() error {
	switch r.conv.Flow {
	case "":
		return r.firstContact()
	case flowMenu:
		return r.menu()
	}
	st := flowDefs[r.conv.Flow].state(r.conv.State)
	if st == nil {
		r.reset()
		return r.menu()
	}
	return st.ask(r)
}

// expect says what kind of answer the step needs, then asks again.
func (r *run) expect(st *step) error {
	switch st.kind {
	case askText:
		r.reply("expect_text", nil)
	default:
		r.reply("expect_button", nil)
	}
	return r.ask()
}

// reset leaves any flow for the menu, keeping nothing of its answers.
func (r *run) reset() {
	r.conv.Flow, r.conv.State = flowMenu, stateMenu
	r.d = convData{}
}

func (r *run) langPicker() {
	r.reply("lang_pick", nil, row(
		Option{ID: "lang:vi", Label: "Tiếng Việt"},
		Option{ID: "lang:en", Label: "English"},
	))
}

func (r *run) setLanguage(lang string) error {
	if lang != "vi" && lang != "en" {
		return r.expect(&step{})
	}
	if err := r.st.SetLanguage(r.ctx, r.p.ID, lang); err != nil {
		return err
	}
	r.lang = lang
	r.reply("lang_set", nil)
	return r.ask()
}
