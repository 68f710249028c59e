package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"reentrybot/dbtest"
	"reentrybot/poster"
	"reentrybot/refdata"
)

func posterEnv(t *testing.T) map[string]string {
	return map[string]string{
		"DATABASE_URL":          dbtest.URL(t),
		"TELEGRAM_BOT_TOKEN":    "",
		"PUBLIC_URL":            "https://vieclam.bacninh.example.vn/",
		"TELEGRAM_BOT_USERNAME": "@vieclam_bn_bot",
		"ZALO_OA_LINK":          "https://zalo.me/4318171372898651234",
		"CENTRE_PHONE":          "0204 3855 123",
	}
}

// --all writes one poster per official commune: the 99 the migrations
// build in, by code, each a whole PDF.
func TestPosterAll(t *testing.T) {
	env := posterEnv(t)
	dir := filepath.Join(t.TempDir(), "posters")
	code, out, errOut := runCmd(t, env, "poster", "--all", "--out", dir)
	if code != 0 || !strings.Contains(out, "99 poster(s) in "+dir) {
		t.Fatalf("poster --all: %d %q %q", code, out, errOut)
	}
	official, err := refdata.Communes()
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, c := range official {
		want = append(want, poster.FileName(c))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		got = append(got, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) || len(b) < 10_000 {
			t.Errorf("%s is not a whole PDF (%d bytes)", e.Name(), len(b))
		}
	}
	slices.Sort(want)
	if len(got) != 99 || !slices.Equal(got, want) {
		t.Errorf("%d files %q, want the 99 official communes %q", len(got), got, want)
	}
	if !strings.Contains(out, "poster-09370.pdf  Phường Tam Sơn") {
		t.Errorf("output does not name the communes: %q", out)
	}
}

func TestPosterCommandRefuses(t *testing.T) {
	env := posterEnv(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"neither --commune nor --all", nil, nil, "say --commune CODE or --all"},
		{"both", nil, []string{"--all", "--commune", "07339"}, "say --commune CODE or --all"},
		{"unknown commune", nil, []string{"--commune", "99999"}, `no commune with code "99999"`},
		{"no public URL", map[string]string{"PUBLIC_URL": ""}, []string{"--all"}, "PUBLIC_URL is not set"},
		{"no phone", map[string]string{"CENTRE_PHONE": ""}, []string{"--all"}, "CENTRE_PHONE is not set"},
		{"bad username", map[string]string{"TELEGRAM_BOT_USERNAME": "a b"}, []string{"--all"}, "TELEGRAM_BOT_USERNAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			for k, v := range tt.env {
				e[k] = v
			}
			code, _, errOut := runCmd(t, e, append([]string{"poster", "--out", dir}, tt.args...)...)
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("code %d, %q; want 1 and %q", code, errOut, tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused run left %d files", len(entries))
	}
	// One commune; no Telegram code without a username or token.
	env["TELEGRAM_BOT_USERNAME"] = ""
	code, out, errOut := runCmd(t, env, "poster", "--commune", "07339", "--out", dir)
	if code != 0 || !strings.Contains(out, "no Telegram code") || !strings.Contains(out, "1 poster(s)") {
		t.Fatalf("one commune: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "poster-07339.pdf")); err != nil {
		t.Error(err)
	}
}
