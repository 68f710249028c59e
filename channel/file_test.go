package channel_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"reentrybot/channel"
	"reentrybot/flows"
)

// A reply's file (the /mydata export) goes first, with its caption, on a
// channel that carries its type and size; elsewhere only the text goes.
func TestRenderFile(t *testing.T) {
	cat := catalog(t)
	r := flows.Reply{Key: "menu_type_number", File: &flows.Attachment{
		Name: "du-lieu.json", MIME: "application/json", Data: []byte(`{"a":1}`),
		Caption: "mydata_file", CaptionParams: map[string]any{"Cases": 1, "Appointments": 0, "Messages": 2},
	}}
	json := channel.Capabilities{MaxButtons: 3, MaxText: 500, Files: []string{"application/json"}, MaxFileBytes: 100}
	tooSmall := json
	tooSmall.MaxFileBytes = 3
	for _, tc := range []struct {
		name     string
		caps     channel.Capabilities
		wantFile bool
	}{
		{"carries JSON", json, true},
		{"file too big", tooSmall, false},
		{"no files", small, false},
	} {
		out := channel.Render(cat, "vi", r, 1, tc.caps)
		got := out[0].File != nil
		if got != tc.wantFile || (tc.wantFile && (len(out) != 2 || out[0].File.Name != "du-lieu.json" || out[0].Text == "" || out[1].File != nil)) {
			t.Errorf("%s: %+v", tc.name, out)
		}
		if !tc.wantFile && len(out) != 1 {
			t.Errorf("%s: %d messages, want the text alone", tc.name, len(out))
		}
	}
}
func TestCanSendFile(t *testing.T) {
	caps := channel.Capabilities{Files: []string{"image/png", "application/pdf"}, MaxFileBytes: 5 << 20, MaxImageBytes: 1 << 20}
	tests := []struct {
		mime string
		size int64
		want bool
	}{
		{"image/png", 1 << 20, true},
		{"image/png", 1<<20 + 1, false}, // pictures have their own limit
		{"application/pdf", 5 << 20, true},
		{"application/pdf", 5<<20 + 1, false},
		{"application/json", 10, false}, // not carried: a link
	}
	for _, tc := range tests {
		if got := caps.CanSendFile(tc.mime, tc.size); got != tc.want {
			t.Errorf("CanSendFile(%s, %d) = %v, want %v", tc.mime, tc.size, got, tc.want)
		}
	}
}

func TestReadDownload(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		fails  bool
		want   channel.ErrorKind
	}{
		{"ok", 200, "%PDF-1.4", false, 0},
		{"server failure", 502, "", true, channel.Transient},
		{"rate limited", 429, "", true, channel.Transient},
		{"gone", 404, "", true, channel.Permanent},
		{"empty", 200, "", true, channel.Permanent},
		{"too large", 200, strings.Repeat("x", 11), true, channel.Permanent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.WriteHeader(tc.status)
			rec.WriteString(tc.body)
			data, err := channel.ReadDownload(rec.Result(), 10)
			var ce *channel.Error
			switch {
			case !tc.fails && (err != nil || string(data) != tc.body):
				t.Fatalf("read %q, %v", data, err)
			case tc.fails && (!errors.As(err, &ce) || ce.Kind != tc.want):
				t.Fatalf("error %v, want kind %v", err, tc.want)
			}
		})
	}
}
