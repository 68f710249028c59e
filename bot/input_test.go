package bot

import "testing"

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, cmd, arg string
		ok             bool
	}{
		{"/start", "start", "", true},
		{"/START abc_123", "start", "abc_123", true},
		{"/menu@reentry_test_bot", "menu", "", true},
		{"/menu@other_bot", "", "", false},
		{"/", "", "", false},
		{"hello /start", "", "", false},
		{"/xin-chào", "", "", false},
		{"/help  extra words ", "help", "extra words", true},
	}
	for _, tt := range tests {
		cmd, arg, ok := parseCommand(tt.text, "reentry_test_bot")
		if cmd != tt.cmd || arg != tt.arg || ok != tt.ok {
			t.Errorf("parseCommand(%q) = %q, %q, %v; want %q, %q, %v", tt.text, cmd, arg, ok, tt.cmd, tt.arg, tt.ok)
		}
	}
}

func TestCallbackData(t *testing.T) {
	tests := []struct {
		data    string
		version int64
		id      string
	}{
		{callbackData(12, "menu.job"), 12, "menu.job"},
		{"0:x", 0, "x"},
		{"garbage", -1, ""},
		{"-3:x", -1, ""},
		{"v:x", -1, ""},
		{"5:a:b", 5, "a:b"},
	}
	for _, tt := range tests {
		v, id := parseCallback(tt.data)
		if v != tt.version || id != tt.id {
			t.Errorf("parseCallback(%q) = %d, %q; want %d, %q", tt.data, v, id, tt.version, tt.id)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Nguyễn Văn A \n", "Nguyễn Văn A"},
		{"Ho\u0300a", "Hòa"},                     // decomposed → NFC
		{"a\x00b\x07c", "abc"},                   // control characters dropped
		{"line1\nline2", "line1\nline2"},         // newlines kept
		{"bad \xff\xfe utf8", "bad \uFFFD utf8"}, // broken UTF-8 replaced
		{"<b>&amp;</b>", "<b>&amp;</b>"},         // stored as given; escaped when shown
		{"zero\u200bwidth", "zerowidth"},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{"1:menu", "0:", ":", "99999999999999999999:x", "1:é", "-1:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		v, id := parseCallback(data)
		if v < -1 {
			t.Fatalf("version %d from %q", v, data)
		}
		if v >= 0 {
			if v2, id2 := parseCallback(callbackData(v, id)); v2 != v || id2 != id {
				t.Fatalf("round trip of %q: %d %q → %d %q", data, v, id, v2, id2)
			}
		}
	})
}
