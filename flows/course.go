package flows

import (
	"slices"
	"strconv"
	"strings"

	"github.com/looplab/fsm"

	"reentrybot/domain"
)

type courseAnswers struct {
	Trade    string `json:"trade"` // a trade code or "any"
	Place    string `json:"place"` // own_commune or province
	CourseID int64  `json:"course_id,omitempty"`
	Title    string `json:"title,omitempty"`
	AskPrior bool   `json:"ask_prior,omitempty"`
	// VTSupportBefore: had state-funded vocational training support before;
	// VTSupportUnknown: the person is not sure.
	VTSupportBefore  *bool `json:"vt_support_before,omitempty"`
	VTSupportUnknown bool  `json:"vt_support_unknown,omitempty"`
	// AskGroups: the chosen course gives support figures per learner
	// group, so the person's groups are asked (pre-ticked from their last
	// answer: Known). Priority holds the job flow's priority codes, under
	// the same key, so the next request finds them; GroupsAsked records
	// that ticking none was an answer.
	AskGroups   bool     `json:"ask_groups,omitempty"`
	Known       bool     `json:"groups_known,omitempty"`
	Priority    []string `json:"priority,omitempty"`
	GroupsAsked bool     `json:"groups_asked,omitempty"`
}

// priorLabel spells out the answer about earlier support.
func priorLabel(r *run, a *courseAnswers) string {
	switch {
	case a.VTSupportBefore != nil:
		return r.label(map[bool]string{true: "btn_yes", false: "btn_no"}[*a.VTSupportBefore], nil)
	case a.VTSupportUnknown:
		return r.label("btn_not_sure", nil)
	}
	return "—"
}

var coursePlaces = []string{"own_commune", "province"}

func courseFlow() *flowDef {
	f := &flowDef{
		name:         flowCourse,
		purposes:     []Purpose{PurposeTraining},
		profile:      fullProfile,
		summary:      true,
		noEditReturn: map[string]bool{"list": true},
		states: map[string]*step{
			"trade":   {ask: askCourseTrade, take: takeCourseTrade},
			"place":   {ask: askCoursePlace, take: takeCoursePlace},
			"list":    {ask: askCourseList, take: takeCourseList},
			"group":   {ask: askCourseGroup, take: takeCourseGroup},
			"details": {ask: askCourseDetails, take: takeCourseDetails},
			"prior":   {ask: askPrior, take: takePrior},
		},
	}
	f.steps = func(r *run) []string {
		s := []string{"trade", "place", "list"}
		if r.d.Course.AskGroups {
			s = append(s, "group")
		}
		s = append(s, "details")
		if r.d.Course.AskPrior {
			s = append(s, "prior")
		}
		return s
	}
	f.extra = func(r *run) fsm.Events {
		return fsm.Events{{Name: "again", Src: []string{"list"}, Dst: "trade"}}
	}
	f.start = func(r *run) error {
		p, err := r.profile()
		if err != nil {
			return err
		}
		groups, known, err := r.st.PriorityGroups(r.ctx, r.p.ID)
		if err != nil {
			return err
		}
		r.d.Course = &courseAnswers{
			AskPrior:        p.VTSupportBefore == nil && !p.VTSupportUnknown,
			VTSupportBefore: p.VTSupportBefore, VTSupportUnknown: p.VTSupportUnknown,
			Known: known, Priority: groups,
		}
		return nil
	}
	f.done = finishCourse
	return f
}

func askCourseTrade(r *run) error {
	var o []Option
	for _, t := range trades {
		o = append(o, Option{ID: "t:" + t, Key: "trade_" + t, Params: map[string]any{"On": false}})
	}
	o = append(o, opt("t:any", "trade_any"))
	r.question("ask_course_trade", nil, pairs(o)...)
	return nil
}

func takeCourseTrade(r *run) (string, error) {
	t, ok := strings.CutPrefix(r.choice(), "t:")
	if !ok || (t != "any" && !contains(trades, t)) {
		return "", r.expect(&step{})
	}
	r.d.Course.Trade = t
	r.d.Page = 0
	return eventAnswer, nil
}

func askCoursePlace(r *run) error {
	r.question("ask_course_place", nil, row(opt("v:own_commune", "where_own_commune"), opt("v:province", "where_province")))
	return nil
}

func takeCoursePlace(r *run) (string, error) {
	v, ok := strings.CutPrefix(r.choice(), "v:")
	if !ok || !contains(coursePlaces, v) {
		return "", r.expect(&step{})
	}
	r.d.Course.Place = v
	r.d.Page = 0
	return eventAnswer, nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// openCourses lists the courses matching the person's filters.
func (r *run) openCourses() ([]Course, error) {
	a := r.d.Course
	f := CourseFilter{Today: r.today()}
	if a.Trade != "any" {
		f.Trade = a.Trade
	}
	if a.Place == "own_commune" {
		p, err := r.profile()
		if err != nil {
			return nil, err
		}
		f.CommuneCode = p.CommuneCode
	}
	return r.st.Courses(r.ctx, f)
}

func askCourseList(r *run) error {
	list, err := r.openCourses()
	if err != nil {
		return err
	}
	if len(list) == 0 {
		r.question("course_none", nil, row(opt("counsel", "btn_menu_counsel")), row(opt("again", "btn_search_again")))
		return nil
	}
	pages := (len(list) + pageSize - 1) / pageSize
	page := r.d.Page % pages
	var rows [][]Option
	for _, c := range list[page*pageSize : min(len(list), (page+1)*pageSize)] {
		rows = append(rows, row(Option{ID: "k:" + strconv.FormatInt(c.ID, 10), Label: c.Title + " · " + c.StartDate.Format("02/01")}))
	}
	tail := row(opt("again", "btn_search_again"))
	if pages > 1 {
		tail = append(tail, opt("more", "btn_more"))
	}
	rows = append(rows, tail)
	r.question("course_list", map[string]any{"Count": len(list), "Page": page + 1, "Pages": pages}, rows...)
	return nil
}

func takeCourseList(r *run) (string, error) {
	c := r.choice()
	switch {
	case c == "more":
		r.d.Page++
		return "", r.ask()
	case c == "again":
		return "again", nil
	case c == "counsel":
		r.reset()
		return "", r.begin(flowCounsel)
	case strings.HasPrefix(c, "k:"):
		id, _ := strconv.ParseInt(c[2:], 10, 64)
		list, err := r.openCourses()
		if err != nil {
			return "", err
		}
		for _, k := range list {
			if k.ID == id {
				a := r.d.Course
				a.CourseID, a.Title = k.ID, k.Title
				// The groups matter only where the course data gives
				// figures per group; elsewhere they are not asked.
				a.AskGroups = k.Support.Any()
				return eventAnswer, nil
			}
		}
		r.reply("course_gone", nil)
		return "", r.ask()
	}
	return "", r.expect(&step{})
}

func (r *run) courseParams(k Course) map[string]any {
	length := r.label("length_"+k.LengthUnit, map[string]any{"Count": k.LengthValue})
	fee := FormatVND(k.FeeVND)
	if k.FeeVND == 0 {
		fee = r.label("fee_free", nil)
	}
	cert := k.Certificate
	if cert == "" {
		cert = "—"
	}
	// The estimate is the course data's figure for the person's learner
	// groups; none is shown where the data gives none ("0 đ" would read
	// as a promise of nothing), before the groups are known, or to a
	// person who said they had state training support before (it is
	// given once).
	support := ""
	a := r.d.Course
	if a != nil && a.GroupsAsked && (a.VTSupportBefore == nil || !*a.VTSupportBefore) {
		if v := k.Support.Estimate(domain.LearnerGroupsOf(a.Priority)); v > 0 {
			support = FormatVND(v)
		}
	}
	return map[string]any{
		"Title": k.Title, "Provider": k.Provider, "Place": k.CommuneName,
		"Start": date(k.StartDate), "Length": length, "Fee": fee, "Support": support,
		"Certificate": cert, "SeatsLeft": k.SeatsTotal - k.SeatsTaken, "Deadline": date(k.EnrolDeadline),
	}
}

// askCourseGroup asks the person's priority groups, as the job request
// does, ticked as they last answered.
func askCourseGroup(r *run) error {
	a := r.d.Course
	var o []Option
	for _, v := range jobPriorities {
		o = append(o, checkOpt("p:"+v, "priority_"+v, slices.Contains(a.Priority, v)))
	}
	r.question("ask_course_group", map[string]any{"Known": a.Known && len(a.Priority) > 0}, append(pairs(o), row(opt("done", "btn_done")))...)
	return nil
}

func takeCourseGroup(r *run) (string, error) {
	a := r.d.Course
	c := r.choice()
	switch v, ok := strings.CutPrefix(c, "p:"); {
	case ok && slices.Contains(jobPriorities, v):
		a.Priority = pickPriority(a.Priority, v) // job.go
		return "", r.ask()
	case c == "done":
		a.GroupsAsked = true
		return eventAnswer, nil
	}
	return "", r.expect(&step{})
}

// groupsLabel spells out the priority groups of a course request.
func groupsLabel(r *run, a *courseAnswers) string {
	switch {
	case len(a.Priority) > 0:
		return r.labelsOf("priority_", a.Priority)
	case a.GroupsAsked:
		return r.label("groups_none", nil)
	}
	return "—"
}

func askCourseDetails(r *run) error {
	k, err := r.st.Course(r.ctx, r.d.Course.CourseID)
	if err != nil {
		return err
	}
	r.question("course_details", r.courseParams(k), row(opt("register", "btn_register")))
	return nil
}

func takeCourseDetails(r *run) (string, error) {
	if r.choice() != "register" {
		return "", r.expect(&step{})
	}
	return eventAnswer, nil
}

func askPrior(r *run) error { return askVTSupport(r) } // profile.go

// takePrior stores the answer in the profile and in the request.
func takePrior(r *run) (string, error) {
	ev, err := takeVTSupport(r) // profile.go
	if ev == eventAnswer && err == nil {
		r.d.Course.VTSupportBefore, r.d.Course.VTSupportUnknown = r.prof.VTSupportBefore, r.prof.VTSupportUnknown
	}
	return ev, err
}

func courseSummary(r *run) error {
	k, err := r.st.Course(r.ctx, r.d.Course.CourseID)
	if err != nil {
		return err
	}
	params := r.courseParams(k)
	params["Prior"] = priorLabel(r, r.d.Course)
	params["Groups"] = ""
	fields := []string{"list"}
	if r.d.Course.AskGroups {
		params["Groups"] = groupsLabel(r, r.d.Course)
		fields = append(fields, "group")
	}
	if r.d.Course.AskPrior {
		fields = append(fields, "prior")
	}
	r.question("course_summary", params, editRows(fields, "btn_edit_course_")...)
	return nil
}

func finishCourse(r *run) error {
	a := r.d.Course
	list, err := r.openCourses()
	if err != nil {
		return err
	}
	open := false
	for _, k := range list {
		open = open || k.ID == a.CourseID
	}
	if !open {
		r.reply("course_gone", nil)
		r.conv.State = "list"
		return r.ask()
	}
	if !a.AskGroups { // groups not asked for this course are not recorded
		a.Priority, a.GroupsAsked = nil, false
	}
	id := a.CourseID
	return r.finishCase(CaseDraft{Kind: "course", CourseID: &id, Answers: mustJSON(a)})
}
