package channel_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/i18n"
)

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	c, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	telegramLike = channel.Capabilities{MaxButtons: 100, MaxButtonsPerRow: 8, MaxLabel: 64, MaxText: 4096, UTF16: true,
		Markup: channel.MarkupHTML, Ack: true, ShareContact: true}
	// small is the test channel of issue 13: 3 buttons, 160 characters, no markup.
	small = channel.Capabilities{MaxButtons: 3, MaxLabel: 20, MaxText: 160}
)

func options(labels ...string) [][]flows.Option {
	var row []flows.Option
	for i, l := range labels {
		row = append(row, flows.Option{ID: fmt.Sprintf("o%d", i+1), Label: l})
	}
	return [][]flows.Option{row}
}

func TestRender(t *testing.T) {
	cat := catalog(t)
	help := cat.T("vi", "help_text", nil)
	tests := []struct {
		name    string
		reply   flows.Reply
		caps    channel.Capabilities
		check   func(t *testing.T, ms []channel.Message)
		wantMsg int
	}{
		{
			name:    "buttons that fit stay buttons, rows split at the row width",
			reply:   flows.Reply{Key: "help_text", Options: options("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")},
			caps:    telegramLike,
			wantMsg: 1,
			check: func(t *testing.T, ms []channel.Message) {
				m := ms[0]
				if m.Menu != nil || len(m.Buttons) != 2 || len(m.Buttons[0]) != 8 || len(m.Buttons[1]) != 2 {
					t.Errorf("rows %v, menu %v", m.Buttons, m.Menu)
				}
				if m.Buttons[1][1].Data != "7:o10" || m.Text != help {
					t.Errorf("last button %+v, text %q", m.Buttons[1][1], m.Text)
				}
			},
		},
		{
			name:    "too many options become a numbered list; markup dropped; split at 160",
			reply:   flows.Reply{Key: "help_text", Options: options("May mặc", "Xây dựng", "Nấu ăn", "Lái xe", "Khác")},
			caps:    small,
			wantMsg: -1,
			check: func(t *testing.T, ms []channel.Message) {
				all := ""
				for i, m := range ms {
					if n := utf8.RuneCountInString(m.Text); n > 160 {
						t.Errorf("piece %d has %d characters", i, n)
					}
					if strings.ContainsAny(m.Text, "<>") {
						t.Errorf("piece %d keeps markup: %q", i, m.Text)
					}
					if i < len(ms)-1 && (m.Menu != nil || m.Buttons != nil) {
						t.Errorf("piece %d carries the menu", i)
					}
					all += m.Text + "\n"
				}
				last := ms[len(ms)-1]
				if last.Menu == nil || last.Menu.Version != 7 || strings.Join(last.Menu.IDs, ",") != "o1,o2,o3,o4,o5" || last.Buttons != nil {
					t.Fatalf("menu %+v buttons %v", last.Menu, last.Buttons)
				}
				for _, want := range []string{"Các lệnh", "1. May mặc", "5. Khác", "Gõ số bạn chọn"} {
					if !strings.Contains(all, want) {
						t.Errorf("lacks %q: %q", want, all)
					}
				}
			},
		},
		{
			name:    "three options fit the test channel as buttons",
			reply:   flows.Reply{Key: "button_stale", Options: options("Có", "Không", "Để sau")},
			caps:    small,
			wantMsg: 1,
			check: func(t *testing.T, ms []channel.Message) {
				if ms[0].Menu != nil || len(ms[0].Buttons) != 1 || len(ms[0].Buttons[0]) != 3 {
					t.Errorf("%+v", ms[0])
				}
			},
		},
		{
			name:    "a label too long for a button makes the list numbered",
			reply:   flows.Reply{Key: "button_stale", Options: options("Có", "Trường Cao đẳng Công nghiệp Bắc Ninh")},
			caps:    small,
			wantMsg: 1,
			check: func(t *testing.T, ms []channel.Message) {
				if ms[0].Menu == nil || !strings.Contains(ms[0].Text, "2. Trường Cao đẳng Công nghiệp Bắc Ninh") {
					t.Errorf("%+v", ms[0])
				}
			},
		},
		{
			name:    "user data is escaped in HTML, shown as typed in plain text",
			reply:   flows.Reply{Key: "start_greeting", Params: map[string]any{"Name": "<b>Lê</b> & Trần"}, Options: options("<i>x</i>")},
			caps:    telegramLike,
			wantMsg: 1,
			check: func(t *testing.T, ms []channel.Message) {
				if !strings.Contains(ms[0].Text, "&lt;b&gt;Lê&lt;/b&gt; &amp; Trần") || ms[0].Buttons[0][0].Label != "<i>x</i>" {
					t.Errorf("%q %+v", ms[0].Text, ms[0].Buttons)
				}
			},
		},
		{
			name:    "plain channel shows the name as typed",
			reply:   flows.Reply{Key: "start_greeting", Params: map[string]any{"Name": "<b>Lê</b> & Trần"}},
			caps:    channel.Capabilities{MaxText: 2000},
			wantMsg: 1,
			check: func(t *testing.T, ms []channel.Message) {
				if !strings.Contains(ms[0].Text, "<b>Lê</b> & Trần") {
					t.Errorf("%q", ms[0].Text)
				}
			},
		},
		{
			name:    "share contact goes with the last piece",
			reply:   flows.Reply{Key: "help_text", AskContact: true},
			caps:    small,
			wantMsg: -1,
			check: func(t *testing.T, ms []channel.Message) {
				for i, m := range ms {
					if m.AskContact != (i == len(ms)-1) {
						t.Errorf("piece %d AskContact %v", i, m.AskContact)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := channel.Render(cat, "vi", tt.reply, 7, tt.caps)
			if tt.wantMsg > 0 && len(ms) != tt.wantMsg {
				t.Fatalf("%d messages, want %d: %+v", len(ms), tt.wantMsg, ms)
			}
			tt.check(t, ms)
		})
	}
}

func TestSplit(t *testing.T) {
	html := channel.Capabilities{MaxText: 22, Markup: channel.MarkupHTML}
	tests := []struct {
		name string
		text string
		caps channel.Capabilities
		want []string
	}{
		{"short stays whole", "Xin chào", small, []string{"Xin chào"}},
		{"at a line end", "dòng một dài\ndòng hai cũng dài", channel.Capabilities{MaxText: 17}, []string{"dòng một dài", "dòng hai cũng dài"}},
		{"not inside bold", "<b>một hai ba bốn</b> năm", html, []string{"<b>một hai ba bốn</b>", "năm"}},
		{"an entity stays whole", "aaaa bbbbbbbb &amp; cc dd", html, []string{"aaaa bbbbbbbb &amp;", "cc dd"}},
		{"a word longer than the limit is cut hard", strings.Repeat("ệ", 25), channel.Capabilities{MaxText: 10},
			[]string{strings.Repeat("ệ", 10), strings.Repeat("ệ", 10), strings.Repeat("ệ", 5)}},
		{"UTF-16 counts an emoji twice", "👷👷👷 ab", channel.Capabilities{MaxText: 6, UTF16: true}, []string{"👷👷👷", "ab"}},
		{"bold with no place to cut loses its markup", "<b>" + strings.Repeat("x", 30) + "</b>", html,
			[]string{strings.Repeat("x", 22), strings.Repeat("x", 8)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := channel.Split(tt.text, tt.caps)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("Split(%q) = %q, want %q", tt.text, got, tt.want)
			}
			for _, p := range got {
				if channel.Length(p, tt.caps) > tt.caps.MaxText {
					t.Errorf("piece %q over %d", p, tt.caps.MaxText)
				}
			}
		})
	}
}

func TestMenuPick(t *testing.T) {
	m := channel.Menu{Version: 4, IDs: []string{"a", "b", "c"}}
	tests := []struct {
		in     string
		wantID string
		ok     bool
	}{
		{"2", "b", true}, {" 3. ", "c", true}, {"số 1", "a", true}, {"So 2", "b", true}, {"#3", "c", true},
		{"0", "", false}, {"4", "", false}, {"-1", "", false}, {"hai", "", false}, {"1990", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		v, id, ok := m.Pick(tt.in)
		if ok != tt.ok || id != tt.wantID || (ok && v != 4) {
			t.Errorf("Pick(%q) = %d %q %v, want %q %v", tt.in, v, id, ok, tt.wantID, tt.ok)
		}
	}
}

func TestButtonData(t *testing.T) {
	tests := []struct {
		data string
		v    int64
		id   string
		ok   bool
	}{
		{channel.ButtonData(12, "m:job"), 12, "m:job", true},
		{"0:x", 0, "x", true},
		{"-1:x", 0, "", false}, {"x:y", 0, "", false}, {"12", 0, "", false}, {"12:", 0, "", false},
	}
	for _, tt := range tests {
		v, id, ok := channel.ParseButtonData(tt.data)
		if v != tt.v || id != tt.id || ok != tt.ok {
			t.Errorf("ParseButtonData(%q) = %d %q %v", tt.data, v, id, ok)
		}
	}
}

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"<b>Đăng ký</b> &lt;b&gt; &amp; x": "Đăng ký <b> & x",
		"a < b":                            "a < b",
		"không thẻ":                        "không thẻ",
	} {
		if got := channel.PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}
