package telegram

import (
	"testing"

	"reentrybot/channel"
)

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
		cmd, arg, ok := ParseCommand(tt.text, "reentry_test_bot")
		if cmd != tt.cmd || arg != tt.arg || ok != tt.ok {
			t.Errorf("ParseCommand(%q) = %q, %q, %v; want %q, %q, %v", tt.text, cmd, arg, ok, tt.cmd, tt.arg, tt.ok)
		}
	}
}

func TestCallbackData(t *testing.T) {
	tests := []struct {
		data    string
		version int64
		id      string
	}{
		{channel.ButtonData(12, "menu.job"), 12, "menu.job"},
		{"0:x", 0, "x"},
		{"garbage", -1, ""},
		{"-3:x", -1, ""},
		{"v:x", -1, ""},
		{"5:a:b", 5, "a:b"},
	}
	for _, tt := range tests {
		v, id := ParseCallback(tt.data)
		if v != tt.version || id != tt.id {
			t.Errorf("ParseCallback(%q) = %d, %q; want %d, %q", tt.data, v, id, tt.version, tt.id)
		}
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{"1:menu", "0:", ":", "99999999999999999999:x", "1:é", "-1:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		v, id := ParseCallback(data)
		if v < -1 {
			t.Fatalf("version %d from %q", v, data)
		}
		if v >= 0 {
			if v2, id2 := ParseCallback(channel.ButtonData(v, id)); v2 != v || id2 != id {
				t.Fatalf("round trip of %q: %d %q → %d %q", data, v, id, v2, id2)
			}
		}
	})
}
