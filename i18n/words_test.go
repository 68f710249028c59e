package i18n

import (
	"bufio"
	"io/fs"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/unicode/norm"
)

// words splits s into lower-case NFC words, keeping a hyphen inside a word
// ("ex-offender"); marks are kept, so "tù" and "tư" stay different words.
func words(s string) []string {
	s = strings.ToLower(norm.NFC.String(s))
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r) && r != '-'
	})
}

// contains reports whether the phrase (as words) occurs in text's words.
func contains(text, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(text); i++ {
		match := true
		for j, w := range phrase {
			if text[i+j] != w {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func prisonWords(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("testdata/prison-words.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, words(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// texts returns every string of a TOML catalog (each plural form) by key.
func texts(v any, key string, out map[string]string) {
	switch v := v.(type) {
	case string:
		out[key] = v
	case map[string]any:
		for k, x := range v {
			texts(x, strings.TrimPrefix(key+"."+k, "."), out)
		}
	}
}

func TestWordMatching(t *testing.T) {
	tests := []struct {
		text, phrase string
		want         bool
	}{
		{"Bạn ra tù khi nào?", "tù", true},
		{"Tư vấn việc làm", "tù", false},
		{"Từ ngày mai", "tù", false},
		{"TÙ", "tù", true},
		{norm.NFD.String("ở tù"), "tù", true},
		{"Chấp hành xong án phạt", "án phạt", true},
		{"án, phạt", "án phạt", true}, // punctuation between words does not hide a phrase
		{"bản án phạt", "án phạt", true},
		{"Tôi là Hạnh", "tội", false},
		{"Sentence", "sentence", true},
		{"sentences", "sentence", false},
		{"an ex-offender", "ex-offender", true},
		{"an ex-offender", "offender", false},
		{"Prisoner's", "prisoner", true},
		{"imprisonment", "prison", false},
		{"Anh Tùng", "tù", false}, // inside a name
		{"tu van", "tù", false},   // without marks "tu" is any word; the catalogs keep their marks
		{"Ngày ra trại", "ra trại", true},
		{"nông trại", "ra trại", false},
		{"an ex-prisoner's job", "ex-prisoner", true},
	}
	for _, tt := range tests {
		if got := contains(words(tt.text), words(tt.phrase)); got != tt.want {
			t.Errorf("%q contains %q: %v, want %v", tt.text, tt.phrase, got, tt.want)
		}
	}
}

// No catalog text (returnee, staff, announcements, reminders, rights: every
// file under catalog/) speaks of prison or crime.
func TestCatalogsSayNothingOfPrison(t *testing.T) {
	bad := prisonWords(t)
	files, err := fs.Glob(catalogs, "catalog/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogs: %v", err)
	}
	for _, file := range files {
		b, err := fs.ReadFile(catalogs, file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := toml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		all := map[string]string{}
		texts(doc, "", all)
		for key, s := range all {
			w := words(s)
			for _, p := range bad {
				if contains(w, p) {
					t.Errorf("%s %s says %q: %q", file, key, strings.Join(p, " "), s)
				}
			}
		}
	}
}
