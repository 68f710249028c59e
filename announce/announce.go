// Package announce holds the rules an announcement follows whichever
// composer writes it: the Telegram one (bot/announcements) and the desk's
// web form (desk/announce.go) both edit the same broadcasts row, and must
// agree on who may send where, how long a text may be, how a count is
// shown to an officer, when approval is needed and what a recipient reads.
// The delivery itself is bot/announcements' (workers paced by rate_buckets).
package announce

import (
	"context"
	"html"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"reentrybot/channel"
	"reentrybot/i18n"
	"reentrybot/report"
	"reentrybot/store"
	"reentrybot/textfold"
)

// Limits of announcement texts, in UTF-16 units as Telegram counts them;
// they leave room for the header within Telegram's 4096 and 1024.
const (
	MaxText       = 3500
	MaxCaption    = 1000
	MaxHeaderName = 18
)

// DefaultApprovalOver is the audience size above which an officer's
// announcement waits for an admin, unless ANNOUNCE_APPROVAL_OVER says.
const DefaultApprovalOver = 500

// The composer's steps, kept in broadcasts.step of a draft. Both
// composers write them: a draft the web form saved at StepConfirm can be
// sent with Telegram's Send button, and the other way round.
const (
	StepContent  = "content"  // waiting for the text, photo or document
	StepAudience = "audience" // which communes
	StepInterest = "interest" // who among their people
	StepWhen     = "when"     // now, tomorrow 08:00 or a typed time
	StepConfirm  = "confirm"  // preview shown, waiting for Send
)

// DraftLife is how long an untouched draft stays the author's draft.
const DraftLife = 24 * time.Hour

// Allowed: commune officers (of their communes) and admins.
func Allowed(s store.Staff) bool {
	return s.Role == store.RoleAdmin || s.Role == store.RoleOfficer && len(s.Communes) > 0
}

// InScope checks an audience against its author's area: an officer
// reaches only their own communes, never the province.
func InScope(s store.Staff, d store.Broadcast) bool {
	if s.Role == store.RoleAdmin {
		return true
	}
	if d.ProvinceWide || len(d.Communes) == 0 {
		return false
	}
	for _, c := range d.Communes {
		if !s.InScope(c) {
			return false
		}
	}
	return true
}

// Shown is an audience size as a staff member of role may see it: below
// report.SmallCount an officer reads "< 5", as in the monthly report, so
// that a count cannot single out the few people of a commune (issue 16,
// item 7); admins see it exact. plural selects the catalog's plural form.
func Shown(role store.Role, n int) (shown string, plural int) {
	if role != store.RoleAdmin && n < report.SmallCount {
		return report.Small, report.SmallCount
	}
	return strconv.Itoa(n), n
}

// Status is what a confirmed broadcast of n recipients by role becomes:
// an officer's above over waits for an admin.
func Status(role store.Role, n, over int) store.BroadcastStatus {
	if n > over && role != store.RoleAdmin {
		return store.BroadcastPending
	}
	return store.BroadcastScheduled
}

// Snippet is the start of a text on one line, for lists.
func Snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Units is a text's length as Telegram counts it (UTF-16 code units).
func Units(s string) int { return len(utf16.Encode([]rune(s))) }

// Body cleans a typed announcement text as the bot cleans what it reads;
// ok is false when it is empty or longer than limit units (n says how
// long). The text stays plain: recipients read it escaped (Text).
func Body(raw string, limit int) (body string, n int, ok bool) {
	body = textfold.Clean(raw)
	n = Units(body)
	return body, n, body != "" && n <= limit
}

var whenRe = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s+(\d{1,2})[:hH.](\d{2})$`)

// ParseWhen reads "dd/mm hh:mm" (or "dd/mm/yyyy hh:mm") in loc. Without a
// year it is the next such moment. key names the complaint when it fails
// (announce_bad_time, announce_past_time).
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, string) {
	m := whenRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return time.Time{}, "announce_bad_time"
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	now = now.In(loc)
	year := now.Year()
	if m[3] != "" {
		year = n(3)
	}
	day, month, hour, minute := n(1), n(2), n(4), n(5)
	if hour > 23 || minute > 59 {
		return time.Time{}, "announce_bad_time"
	}
	t := time.Date(year, time.Month(month), day, hour, minute, 0, 0, loc)
	if t.Day() != day || int(t.Month()) != month {
		return time.Time{}, "announce_bad_time" // 31/02 and the like
	}
	if m[3] == "" && t.Before(now.AddDate(0, 0, -1)) {
		t = t.AddDate(1, 0, 0) // "05/01" typed in December
	}
	if !t.After(now) {
		return time.Time{}, "announce_past_time"
	}
	return t, ""
}

// Tomorrow8 is 08:00 tomorrow in loc, the composers' "tomorrow morning".
func Tomorrow8(now time.Time, loc *time.Location) time.Time {
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 8, 0, 0, 0, loc)
}

// Text is what a recipient reads, as Telegram HTML: who it is from, then
// the author's text (plain, escaped).
func Text(cat *i18n.Catalog, lang string, bc store.Broadcast) string {
	name := []rune(bc.AuthorName)
	for len(utf16.Encode(name)) > MaxHeaderName {
		name = name[:len(name)-1]
	}
	text := cat.T(lang, "announce_header", map[string]any{"From": html.EscapeString(string(name))})
	if bc.Body != "" {
		text += "\n\n" + html.EscapeString(bc.Body)
	}
	return text
}

// Reacher is a channel that can tell how an announcement sent now would
// reach its people (Zalo: message inside the window, template, or not).
type Reacher interface {
	Preview(ctx context.Context, refs []string) (channel.Reach, error)
}

// ChannelCount is an audience's people on one channel.
type ChannelCount struct {
	Channel string
	People  int
	// Reach is how the channel would reach them, for a channel with rules
	// of its own; nil otherwise or when its preview failed (ReachErr).
	Reach    *channel.Reach
	ReachErr error
}

// ByChannel counts an audience per channel, Telegram first then by name;
// reacher finds a channel's Reacher (nil: none).
func ByChannel(ctx context.Context, tx *store.Tx, a store.Audience, reacher func(name string) Reacher) ([]ChannelCount, error) {
	counts, err := tx.CountAudienceByChannel(ctx, a)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(counts))
	slices.SortStableFunc(names, func(x, y string) int { return cmpBool(x != "telegram", y != "telegram") })
	out := make([]ChannelCount, 0, len(names))
	for _, name := range names {
		c := ChannelCount{Channel: name, People: counts[name]}
		if reacher != nil {
			if r := reacher(name); r != nil {
				refs, err := tx.AudienceRefs(ctx, a, name)
				if err != nil {
					return nil, err
				}
				how, err := r.Preview(ctx, refs)
				if err != nil {
					c.ReachErr = err
				} else {
					c.Reach = &how
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// ChannelLabel is a channel's name as staff know it.
func ChannelLabel(name string) string {
	switch name {
	case "telegram":
		return "Telegram"
	case "zalo":
		return "Zalo"
	case "web":
		return "Web chat"
	}
	return name
}
