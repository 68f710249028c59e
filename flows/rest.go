package flows

import (
	"fmt"
	"time"
)

// AtRest reports whether the person is at the main menu, in no flow, or
// reading the papers card, which asks nothing: typed text then is not an
// answer to any question, and the transport may pass it to a counsellor
// instead.
func AtRest(c Conversation) bool { return c.Flow == flowMenu || c.Flow == flowPapers }

// Expect says when a counsellor can be expected to answer, seen at now, as
// a catalog message and its parameters.
func (h WorkingHours) Expect(now time.Time) (string, map[string]any) {
	kind, at := h.Next(now)
	switch kind {
	case WhenNow:
		return "when_now", map[string]any{"End": hhmm(h.End)}
	case WhenToday:
		return "when_today", map[string]any{"Time": at.Format("15:04")}
	case WhenTomorrow:
		return "when_tomorrow", map[string]any{"Time": at.Format("15:04")}
	}
	return "when_later", map[string]any{
		"WeekdayKey": fmt.Sprintf("weekday_%d", int(at.Weekday())),
		"Date":       at.Format("02/01"),
		"Time":       at.Format("15:04"),
	}
}

// OffDutySince is when the current off-duty period began: the end of the
// last working day before now. Zero during working hours.
func (h WorkingHours) OffDutySince(now time.Time) time.Time {
	if kind, _ := h.Next(now); kind == WhenNow {
		return time.Time{}
	}
	t := now.In(h.Loc)
	midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.Loc)
	for i := 0; i <= 7; i++ {
		d := midnight.AddDate(0, 0, -i)
		if end := d.Add(h.End); h.Days[d.Weekday()] && !end.After(now) {
			return end
		}
	}
	return now.Add(-7 * 24 * time.Hour)
}
