package flows

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/looplab/fsm"

	"reentrybot/textfold"
)

// Profile fields, also the state names of the profile flow.
const (
	fieldName        = "name"
	fieldBirthYear   = "birth_year"
	fieldGender      = "gender"
	fieldPhone       = "phone"
	fieldCommune     = "commune"
	fieldEducation   = "education"
	fieldSentenceEnd = "sentence_end"
	fieldVTSupport   = "vt_support"
	stateCommunePick = "commune_pick"
)

var (
	fullProfile  = []string{fieldName, fieldBirthYear, fieldGender, fieldPhone, fieldCommune, fieldEducation}
	genders      = []string{"male", "female", "other", "unspecified"}
	educations   = []string{"none", "primary", "lower_secondary", "upper_secondary", "vocational", "university"}
	communeLimit = 40
)

func missing(p *Profile, fields []string) []string {
	var out []string
	for _, f := range fields {
		var empty bool
		switch f {
		case fieldName:
			empty = p.FullName == ""
		case fieldBirthYear:
			empty = p.BirthYear == 0
		case fieldGender:
			empty = p.Gender == ""
		case fieldPhone:
			empty = p.Phone == ""
		case fieldCommune:
			empty = p.CommuneCode == ""
		case fieldEducation:
			empty = p.Education == ""
		case fieldSentenceEnd:
			empty = p.SentenceEnd == nil
		case fieldVTSupport:
			empty = p.VTSupportBefore == nil && !p.VTSupportUnknown
		}
		if empty {
			out = append(out, f)
		}
	}
	return out
}

func profileFlow() *flowDef {
	f := &flowDef{name: flowProfile, states: map[string]*step{
		fieldName:        {kind: askText, ask: askName, take: takeName},
		fieldBirthYear:   {kind: askText, ask: askBirthYear, take: takeBirthYear},
		fieldGender:      {ask: askGender, take: takeGender},
		fieldPhone:       {kind: askText, contact: true, ask: askPhone, take: takePhone},
		fieldCommune:     {kind: askText, ask: askCommune, take: takeCommune},
		stateCommunePick: {kind: askText, parent: fieldCommune, ask: askCommunePick, take: takeCommunePick},
		fieldEducation:   {ask: askEducation, take: takeEducation},
		fieldSentenceEnd: {kind: askText, ask: askSentenceEnd, take: takeSentenceEnd},
		fieldVTSupport:   {ask: askVTSupport, take: takeVTSupport},
	}}
	// From My data every stored answer can also be cleared.
	for name, st := range f.states {
		if st.parent == "" {
			f.states[name] = clearable(name, st)
		}
	}
	f.steps = func(r *run) []string { return r.d.Steps }
	f.extra = communeEvents
	f.done = func(r *run) error {
		then, edited, result := r.d.Then, r.d.Back == flowMyData, r.d.Result
		r.reset()
		if edited {
			// Say what happened: a kept or cleared answer was not "saved".
			switch result {
			case "cleared":
				r.reply("answer_cleared", nil)
			case "kept":
				r.reply("answer_kept", nil)
			default:
				r.reply("saved", nil)
			}
		}
		return r.begin(then)
	}
	return f
}

// editing reports whether the person came to this question from My data
// to correct their answer.
func (r *run) editing() bool { return r.conv.Flow == flowProfile && r.d.Back == flowMyData }

// clearable adds, when a stored answer is being corrected from My data, a
// button that clears it: a person may always remove what they told us,
// with or without a consent (issue 16, item 6).
func clearable(field string, st *step) *step {
	ask, take := st.ask, st.take
	c := *st
	c.ask = func(r *run) error {
		if err := ask(r); err != nil {
			return err
		}
		p, err := r.profile()
		if err != nil || !r.editing() || len(missing(p, []string{field})) > 0 || len(r.out.Replies) == 0 {
			return err
		}
		last := &r.out.Replies[len(r.out.Replies)-1]
		n := len(last.Options)
		if n == 0 {
			last.Options = [][]Option{row(opt("clear", "btn_clear_answer"))}
			return nil
		}
		// Before the Back/Cancel/Help row.
		last.Options = append(last.Options[:n-1:n-1], row(opt("clear", "btn_clear_answer")), last.Options[n-1])
		return nil
	}
	c.take = func(r *run) (string, error) {
		if r.choice() != "clear" || !r.editing() {
			return take(r)
		}
		p, err := r.profile()
		if err != nil {
			return "", err
		}
		clearField(p, field)
		r.d.Result = "cleared"
		return eventAnswer, r.saveProfile()
	}
	return &c
}

// clearField empties one answer of the profile.
func clearField(p *Profile, field string) {
	switch field {
	case fieldName:
		p.FullName = ""
	case fieldBirthYear:
		p.BirthYear = 0
	case fieldGender:
		p.Gender = ""
	case fieldPhone:
		p.Phone = ""
	case fieldCommune:
		p.CommuneCode, p.CommuneName = "", ""
	case fieldEducation:
		p.Education = ""
	case fieldSentenceEnd:
		p.SentenceEnd = nil
	case fieldVTSupport:
		p.VTSupportBefore, p.VTSupportUnknown = nil, false
	}
}

// askVTSupport asks again, from My data, about earlier vocational support
// (the course flow asks it once).
func askVTSupport(r *run) error {
	r.question("ask_vt_support", nil, row(opt("yes", "btn_yes"), opt("no", "btn_no")), row(opt("unknown", "btn_not_sure")))
	return nil
}

func takeVTSupport(r *run) (string, error) {
	vt, ok := vtAnswer(r.choice())
	if !ok {
		return "", r.expect(&step{})
	}
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	p.VTSupportBefore, p.VTSupportUnknown = vt, vt == nil
	return eventAnswer, r.saveProfile()
}

// vtAnswer reads the yes / no / not sure buttons about earlier support.
func vtAnswer(c string) (vt *bool, ok bool) {
	switch c {
	case "yes", "no":
		b := c == "yes"
		return &b, true
	case "unknown":
		return nil, true
	}
	return nil, false
}

// communeEvents: typing a name searches, "more" pages, "retype" asks again.
func communeEvents(r *run) fsm.Events {
	return fsm.Events{
		{Name: "search", Src: []string{fieldCommune, stateCommunePick}, Dst: stateCommunePick},
		{Name: "retype", Src: []string{stateCommunePick}, Dst: fieldCommune},
	}
}

// textAnswer returns the typed text, or replies and returns ok false when
// the input is a button other than those the step handles.
func (r *run) textAnswer() (string, bool) {
	if r.in.Kind != InText {
		r.reply("expect_text", nil)
		_ = r.ask()
		return "", false
	}
	return r.in.Text, true
}

// tooLong replies that a typed answer exceeds max characters.
func (r *run) tooLong(s string, max int) {
	r.reply("text_too_long", map[string]any{"Len": utf8.RuneCountInString(s), "Max": max})
}

func askName(r *run) error {
	r.question("ask_name", map[string]any{"Max": maxNameRunes})
	return nil
}

func takeName(r *run) (string, error) {
	s, ok := r.textAnswer()
	if !ok {
		return "", nil
	}
	name, err := CleanName(s, maxNameRunes)
	switch {
	case errors.Is(err, ErrTooLong):
		r.tooLong(name, maxNameRunes)
		return "", r.ask()
	case err != nil:
		r.reply("name_invalid", nil)
		return "", r.ask()
	}
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	p.FullName = name
	return eventAnswer, r.saveProfile()
}

func askBirthYear(r *run) error {
	r.question("ask_birth_year", nil)
	return nil
}

func takeBirthYear(r *run) (string, error) {
	// The answer to "are you 16 or older?" for a year that may mean 15.
	if c, ok := strings.CutPrefix(r.choice(), "by:"); ok {
		y, err := strconv.Atoi(c)
		if err == nil {
			_, err = ParseBirthYear(c, r.now.In(r.e.hours.Loc))
		}
		if !errors.Is(err, ErrMaybeUnder16) { // "by:no", or a year the question was not about
			r.reply("birth_year_range", map[string]any{"MinAge": MinAge, "MaxAge": MaxAge})
			return "", r.ask()
		}
		return r.saveBirthYear(y)
	}
	s, ok := r.textAnswer()
	if !ok {
		return "", nil
	}
	y, err := ParseBirthYear(s, r.now.In(r.e.hours.Loc))
	switch {
	case errors.Is(err, ErrMaybeUnder16):
		r.question("birth_year_confirm_age", map[string]any{"Year": y, "MinAge": MinAge},
			row(opt("by:"+strconv.Itoa(y), "btn_age_ok")), row(opt("by:no", "btn_age_under")))
		return "", nil
	case errors.Is(err, ErrOverMaxAge):
		r.reply("birth_year_senior", map[string]any{"Year": y})
	case errors.Is(err, ErrOutOfRange):
		r.reply("birth_year_range", map[string]any{"MinAge": MinAge, "MaxAge": MaxAge})
		return "", r.ask()
	case err != nil:
		r.reply("birth_year_invalid", nil)
		return "", r.ask()
	}
	return r.saveBirthYear(y)
}

func (r *run) saveBirthYear(y int) (string, error) {
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	p.BirthYear = y
	if r.minor(p) {
		r.reply("minor_guardian", nil)
	}
	return eventAnswer, r.saveProfile()
}

// minor reports whether the person is surely under 18 on the program's
// date: with the year of birth only, someone turning 18 this year is not
// (the bank checks the papers).
func (r *run) minor(p *Profile) bool {
	return p.BirthYear != 0 && r.now.In(r.e.hours.Loc).Year()-p.BirthYear < 18
}

func askGender(r *run) error {
	var o []Option
	for _, g := range genders {
		o = append(o, opt("g:"+g, "gender_"+g))
	}
	r.question("ask_gender", nil, pairs(o)...)
	return nil
}

func takeGender(r *run) (string, error) {
	g, ok := strings.CutPrefix(r.choice(), "g:")
	if !ok || !slices.Contains(genders, g) {
		return "", r.expect(&step{})
	}
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	p.Gender = g
	return eventAnswer, r.saveProfile()
}

func askPhone(r *run) error {
	r.out.Replies = append(r.out.Replies, Reply{Key: "ask_phone", AskContact: true, Options: [][]Option{navRow()}})
	return nil
}

func takePhone(r *run) (string, error) {
	var s string
	switch c := r.choice(); {
	case strings.HasPrefix(c, "ph:+"): // today's form of an old number, confirmed
		s = c[3:]
	case c == "ph:no":
		return "", r.ask()
	case r.in.Kind == InContact:
		s = r.in.Phone
	case r.in.Kind == InText:
		s = r.in.Text
	default:
		r.reply("expect_phone", nil)
		return "", r.ask()
	}
	phone, err := NormalizePhone(s)
	switch {
	case errors.Is(err, ErrOldMobile):
		r.question("phone_old_confirm", map[string]any{"Old": strings.TrimSpace(s), "New": LocalPhone(phone)},
			row(opt("ph:"+phone, "btn_right"), opt("ph:no", "btn_no")))
		return "", nil
	case err != nil:
		r.reply("phone_invalid", nil)
		return "", r.ask()
	}
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	p.Phone = phone
	return eventAnswer, r.saveProfile()
}

func askCommune(r *run) error {
	if r.askHint() { // a poster's link named the commune (hint.go)
		return nil
	}
	r.question("ask_commune", nil)
	return nil
}

// findCommunes tries the queries textfold.PlaceQueries makes of what was
// typed, in order, and returns the first that finds something.
func (r *run) findCommunes(s string) ([]CommuneMatch, error) {
	for _, q := range textfold.PlaceQueries(s) {
		if utf8.RuneCountInString(q) < 2 {
			continue
		}
		found, err := r.st.FindCommunes(r.ctx, q, communeLimit)
		if err != nil || len(found) > 0 {
			return found, err
		}
	}
	return nil, nil
}

func takeCommune(r *run) (string, error) {
	if ev, handled, err := r.takeHint(); handled {
		return ev, err
	}
	s, ok := r.textAnswer()
	if !ok {
		return "", nil
	}
	return r.searchCommune(s)
}

func (r *run) searchCommune(s string) (string, error) {
	if utf8.RuneCountInString(s) > maxNameRunes {
		r.tooLong(s, maxNameRunes)
		return "", r.ask()
	}
	if utf8.RuneCountInString(textfold.Fold(s)) < 2 {
		r.reply("commune_short", nil)
		return "", r.ask()
	}
	found, err := r.findCommunes(s)
	if err != nil {
		return "", err
	}
	if len(found) == 0 {
		r.reply("commune_none", map[string]any{"Query": s})
		r.conv.State = fieldCommune
		return "", r.ask()
	}
	r.d.Search, r.d.Page = s, 0
	return "search", nil
}

func communeLabel(c Commune) string {
	if name, _, ok := strings.Cut(c.FullName, ","); ok && name != "" {
		return name
	}
	return c.Name
}

// formerLabel describes the unit a match was found by, in Vietnamese in
// every language since these are the names people know: "phường Đình
// Bảng, TP Từ Sơn" or, for a district, "huyện Lục Nam".
func formerLabel(m CommuneMatch) (former, district string) {
	district = m.FormerDistrict
	for long, short := range map[string]string{"Huyện ": "huyện ", "Thành phố ": "TP ", "Thị xã ": "TX "} {
		if rest, ok := strings.CutPrefix(district, long); ok {
			district = short + rest
		}
	}
	if m.FormerName != "" {
		former = map[string]string{"ward": "phường ", "commune": "xã ", "township": "thị trấn "}[m.FormerType] + m.FormerName
	}
	return former, district
}

// communeOption is the button for a match: the unit's name, and what it
// was found by when that was not its own name.
func communeOption(m CommuneMatch) Option {
	o := Option{ID: "c:" + m.Code, Label: communeLabel(m.Commune)}
	former, district := formerLabel(m)
	switch {
	case former != "":
		o.Label, o.Key, o.Params = "", "commune_label_former", map[string]any{"Commune": communeLabel(m.Commune), "Former": former, "District": district}
	case district != "":
		o.Label, o.Key, o.Params = "", "commune_label_district", map[string]any{"Commune": communeLabel(m.Commune), "District": district}
	}
	return o
}

func askCommunePick(r *run) error {
	found, err := r.findCommunes(r.d.Search)
	if err != nil {
		return err
	}
	pages := (len(found) + pageSize - 1) / pageSize
	if pages == 0 {
		r.conv.State = fieldCommune
		return r.ask()
	}
	// One unit found by its former name: ask whether that is it.
	if m := found[0]; len(found) == 1 && m.FormerName != "" {
		former, district := formerLabel(m)
		r.question("commune_former_confirm", map[string]any{"Commune": communeLabel(m.Commune), "Former": former, "District": district},
			row(opt("c:"+m.Code, "btn_right"), opt("retype", "btn_no")))
		return nil
	}
	page := r.d.Page % pages
	var o []Option
	long := false
	for _, m := range found[page*pageSize : min(len(found), (page+1)*pageSize)] {
		o = append(o, communeOption(m))
		long = long || m.FormerDistrict != ""
	}
	rows := pairs(o)
	if long { // labels with a former unit need the whole width
		rows = nil
		for _, b := range o {
			rows = append(rows, row(b))
		}
	}
	tail := row(opt("retype", "btn_retype"))
	if pages > 1 {
		tail = append(tail, opt("more", "btn_more"))
	}
	rows = append(rows, tail)
	r.question("commune_pick", map[string]any{"Query": r.d.Search, "Count": len(found), "Page": page + 1, "Pages": pages}, rows...)
	return nil
}

func takeCommunePick(r *run) (string, error) {
	if r.in.Kind == InText {
		return r.searchCommune(r.in.Text)
	}
	c := r.choice()
	switch {
	case c == "more":
		r.d.Page++
		return "", r.ask()
	case c == "retype":
		return "retype", nil
	case strings.HasPrefix(c, "c:"):
		cm, ok := r.lookupCommune(c[2:])
		if !ok {
			r.reply("expect_button", nil)
			return "", r.ask()
		}
		return r.saveCommune(cm)
	}
	return "", r.expect(&step{})
}

func (r *run) saveCommune(cm Commune) (string, error) {
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	p.CommuneCode, p.CommuneName = cm.Code, cm.Name
	return eventAnswer, r.saveProfile()
}

func askEducation(r *run) error {
	var o []Option
	for _, e := range educations {
		o = append(o, opt("ed:"+e, "edu_"+e))
	}
	r.question("ask_education", nil, pairs(o)...)
	return nil
}

func takeEducation(r *run) (string, error) {
	e, ok := strings.CutPrefix(r.choice(), "ed:")
	if !ok || !slices.Contains(educations, e) {
		return "", r.expect(&step{})
	}
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	p.Education = e
	return eventAnswer, r.saveProfile()
}

func askSentenceEnd(r *run) error {
	p, err := r.profile()
	if err != nil {
		return err
	}
	if p.SentenceEnd != nil { // skipping keeps it: say so on the button
		r.question("ask_returned", nil, row(Option{ID: "skip", Key: "btn_keep_answer", Params: map[string]any{"Value": monthYear(*p.SentenceEnd)}}))
		return nil
	}
	r.question("ask_returned", nil, row(opt("skip", "btn_skip")))
	return nil
}

// takeSentenceEnd stores the month and year the person came back, or
// nothing on skip (a stored month is kept, and said to be); the loan flow
// notes a skip in its answers.
func takeSentenceEnd(r *run) (string, error) {
	p, err := r.profile()
	if err != nil {
		return "", err
	}
	if r.choice() == "skip" {
		if r.d.Loan != nil {
			r.d.Loan.ReturnedSkipped = true
		}
		if p.SentenceEnd != nil {
			r.d.Result = "kept"
		}
		return eventAnswer, nil
	}
	s, ok := r.textAnswer()
	if !ok {
		return "", nil
	}
	t, err := ParseMonthYear(s, r.now.In(r.e.hours.Loc))
	switch {
	case errors.Is(err, ErrOutOfRange):
		r.reply("returned_range", nil)
		return "", r.ask()
	case err != nil:
		r.reply("returned_invalid", nil)
		return "", r.ask()
	}
	p.SentenceEnd = &t
	if r.d.Loan != nil {
		r.d.Loan.Returned = monthYear(t)
		r.d.Loan.ReturnedSkipped = false
	}
	return eventAnswer, r.saveProfile()
}
