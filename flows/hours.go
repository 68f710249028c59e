package flows

import (
	"fmt"
	"time"
)

// WorkingHours are the counsellors' hours, in their time zone.
type WorkingHours struct {
	Loc   *time.Location
	Start time.Duration // since midnight, e.g. 7h30m
	End   time.Duration
	Days  [7]bool // indexed by time.Weekday
}

// DefaultWorkingHours is Monday to Friday, 07:30 to 17:00, Asia/Ho_Chi_Minh.
func DefaultWorkingHours() WorkingHours {
	return WorkingHours{
		Loc:   vietnam(),
		Start: 7*time.Hour + 30*time.Minute,
		End:   17 * time.Hour,
		Days:  [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
	}
}

func vietnam() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600) // no tz database: Vietnam has no DST
}

// When a counsellor can be expected to answer.
const (
	WhenNow      = "now"      // within today's working hours
	WhenToday    = "today"    // today, from the start of working hours
	WhenTomorrow = "tomorrow" // tomorrow at the start
	WhenLater    = "later"    // on a later working day
)

// Next says when the next working time begins, seen at now.
func (h WorkingHours) Next(now time.Time) (string, time.Time) {
	t := now.In(h.Loc)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.Loc)
	since := t.Sub(midnight)
	if h.Days[t.Weekday()] {
		switch {
		case since >= h.Start && since < h.End:
			return WhenNow, t
		case since < h.Start:
			return WhenToday, midnight.Add(h.Start)
		}
	}
	for i := 1; i <= 7; i++ {
		d := midnight.AddDate(0, 0, i)
		if h.Days[d.Weekday()] {
			if i == 1 {
				return WhenTomorrow, d.Add(h.Start)
			}
			return WhenLater, d.Add(h.Start)
		}
	}
	return WhenLater, midnight.Add(h.Start) // no working day at all
}

func hhmm(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// when renders the expectation as a sentence for the case messages.
func (r *run) when() string {
	key, params := r.e.hours.Expect(r.now)
	if wk, ok := params["WeekdayKey"].(string); ok {
		params["Weekday"] = r.label(wk, nil)
	}
	return r.label(key, params)
}
