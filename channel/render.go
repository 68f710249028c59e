package channel

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"reentrybot/flows"
)

// Catalog renders a catalog message; *i18n.Catalog is one.
type Catalog interface {
	T(lang, id string, params map[string]any) string
}

// Render fits one flows reply, offered at conversation version, to a
// channel: the text in the channel's markup and split at its limit, the
// options as buttons when they all fit (rows no wider than the channel
// allows), else as a numbered list at the end of the text with a Menu to
// read the typed number back. Buttons and the menu go with the last
// message, so they stay under the newest text.
func Render(cat Catalog, lang string, r flows.Reply, version int64, caps Capabilities) []Message {
	text := cat.T(lang, r.Key, EscapeParams(r.Params))
	var (
		rows [][]Button
		menu *Menu
	)
	if opts := flatten(r.Options); len(opts) > 0 {
		labels := make([]string, len(opts))
		for i, o := range opts {
			labels[i] = label(cat, lang, o)
		}
		if fits(labels, caps) {
			rows = buttonRows(cat, lang, r.Options, version, caps)
		} else {
			menu = &Menu{Version: version, IDs: make([]string, len(opts))}
			var b strings.Builder
			b.WriteString(text)
			b.WriteString("\n")
			for i, o := range opts {
				menu.IDs[i] = o.ID
				b.WriteString("\n" + strconv.Itoa(i+1) + ". " + html.EscapeString(labels[i]))
			}
			b.WriteString("\n\n" + cat.T(lang, "menu_type_number", nil))
			text = b.String()
		}
	}
	if caps.Markup == MarkupNone {
		text = PlainText(text)
	}
	parts := Split(text, caps)
	var out []Message
	if f := r.File; f != nil && caps.CanSendFile(f.MIME, int64(len(f.Data))) {
		// The file goes first, its caption with it, as on Telegram.
		caption := cat.T(lang, f.Caption, EscapeParams(f.CaptionParams))
		if caps.Markup == MarkupNone {
			caption = PlainText(caption)
		}
		out = append(out, Message{Text: caption, File: &File{Name: f.Name, MIME: f.MIME, Data: f.Data}})
	}
	for _, p := range parts {
		out = append(out, Message{Text: p})
	}
	last := &out[len(out)-1]
	last.Buttons, last.Menu, last.AskContact = rows, menu, r.AskContact
	if r.AskContact {
		last.ContactLabel = cat.T(lang, "share_contact_button", nil)
		last.ContactHint = cat.T(lang, "share_contact_hint", nil)
	}
	return out
}

func flatten(rows [][]flows.Option) []flows.Option {
	var out []flows.Option
	for _, row := range rows {
		out = append(out, row...)
	}
	return out
}

// label is a button's text: plain, never escaped (buttons show no markup).
func label(cat Catalog, lang string, o flows.Option) string {
	if o.Key != "" {
		return cat.T(lang, o.Key, o.Params)
	}
	return o.Label
}

func fits(labels []string, caps Capabilities) bool {
	if len(labels) > caps.MaxButtons {
		return false
	}
	for _, l := range labels {
		if caps.MaxLabel > 0 && utf8.RuneCountInString(l) > caps.MaxLabel {
			return false
		}
	}
	return true
}

// buttonRows keeps the flows' rows, breaking one wider than the channel
// allows into several.
func buttonRows(cat Catalog, lang string, opts [][]flows.Option, version int64, caps Capabilities) [][]Button {
	per := caps.MaxButtonsPerRow
	if per <= 0 {
		per = caps.MaxButtons
	}
	var rows [][]Button
	for _, row := range opts {
		var cur []Button
		for _, o := range row {
			if len(cur) == per {
				rows, cur = append(rows, cur), nil
			}
			cur = append(cur, Button{Label: label(cat, lang, o), Data: ButtonData(version, o.ID)})
		}
		if len(cur) > 0 {
			rows = append(rows, cur)
		}
	}
	return rows
}

// EscapeParams HTML-escapes text parameters: they are user or reference
// data, set into catalog texts that carry HTML.
func EscapeParams(p map[string]any) map[string]any {
	if len(p) == 0 {
		return p
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		switch s := v.(type) {
		case string:
			out[k] = html.EscapeString(s)
		case []string:
			e := make([]string, len(s))
			for i := range s {
				e[i] = html.EscapeString(s[i])
			}
			out[k] = e
		default:
			out[k] = v
		}
	}
	return out
}

// PlainText drops the catalog's tags and turns entities back into
// characters: what a person typed as "<b>" shows as typed.
func PlainText(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		s = s[i+j+1:]
	}
	return html.UnescapeString(b.String())
}

// Length counts text as the channel does.
func Length(s string, caps Capabilities) int {
	if !caps.UTF16 {
		return utf8.RuneCountInString(s)
	}
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Split cuts text into pieces no longer than the channel's limit: at a
// blank line if one is near, else at a line end, else at a space, never
// inside a tag or an entity, nor between an opening tag and its end. A
// piece that has no such place is cut hard, without its markup.
func Split(text string, caps Capabilities) []string {
	limit := caps.MaxText
	if limit <= 0 || Length(text, caps) <= limit {
		return []string{text}
	}
	var out []string
	for Length(text, caps) > limit {
		head := prefixWithin(text, limit, caps)
		// The coarsest place in the second half of the piece; a blank line
		// early on would leave it too short.
		cut, best := -1, -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			at := lastSafe(head, sep, caps)
			if at > len(head)/2 {
				cut = at
				break
			}
			best = max(best, at)
		}
		if cut < 0 {
			cut = best
		}
		if cut <= 0 {
			if caps.Markup == MarkupHTML {
				// No clean place: the rest goes without markup.
				plain := html.EscapeString(PlainText(text))
				if plain != text {
					text = plain
					continue
				}
			}
			cut = len(head)
		}
		out = append(out, strings.TrimRight(text[:cut], " \n"))
		text = strings.TrimLeft(text[cut:], " \n")
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}

// lastSafe is the last place in head where sep starts and the text may
// be cut, or -1.
func lastSafe(head, sep string, caps Capabilities) int {
	for at := strings.LastIndex(head, sep); at > 0; at = strings.LastIndex(head[:at], sep) {
		if caps.Markup != MarkupHTML || safeCut(head[:at]) {
			return at
		}
	}
	return -1
}

// prefixWithin is the longest prefix of s of at most n units, ending on a
// character boundary.
func prefixWithin(s string, n int, caps Capabilities) string {
	units := 0
	for i, r := range s {
		w := 1
		if caps.UTF16 && r >= 0x10000 {
			w = 2
		}
		if units+w > n {
			return s[:i]
		}
		units += w
	}
	return s
}

// safeCut reports whether HTML may end after s: no tag or entity open, and
// every <b> and <i> closed.
func safeCut(s string) bool {
	if strings.LastIndexByte(s, '<') > strings.LastIndexByte(s, '>') {
		return false
	}
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && !strings.Contains(s[amp:], ";") {
		return false
	}
	for _, t := range []string{"b", "i", "u", "s", "code", "a"} {
		if strings.Count(s, "<"+t+">")+strings.Count(s, "<"+t+" ") != strings.Count(s, "</"+t+">") {
			return false
		}
	}
	return true
}
