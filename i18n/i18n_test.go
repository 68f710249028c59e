package i18n

import (
	"slices"
	"strings"
	"testing"
)

// Every message exists in every language and renders, with singular and
// plural counts alike.
func TestCatalogsComplete(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	langs := c.Langs()
	if !slices.Equal(langs, []string{"vi", "en"}) {
		t.Fatalf("languages %v, want vi first then en", langs)
	}
	vi, en := c.Keys("vi"), c.Keys("en")
	for _, k := range vi {
		if !c.Has("en", k) {
			t.Errorf("%s: missing in English", k)
		}
	}
	for _, k := range en {
		if !c.Has("vi", k) {
			t.Errorf("%s: missing in Vietnamese", k)
		}
	}
	for _, lang := range langs {
		for _, k := range c.Keys(lang) {
			for _, n := range []int{1, 2} {
				s, err := c.Render(lang, k, map[string]any{"Count": n})
				if err != nil {
					t.Errorf("%s/%s with Count=%d: %v", lang, k, n, err)
				}
				if strings.TrimSpace(s) == "" {
					t.Errorf("%s/%s renders empty", lang, k)
				}
			}
		}
	}
}

func TestFallback(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Render("vi", "no_such_key", nil); err == nil {
		t.Fatal("a missing key rendered without error")
	}
	if got := c.T("en", "no_such_key", nil); got != "no_such_key" {
		t.Fatalf("fallback %q", got)
	}
	if Normalize("en-GB") != "en" || Normalize("fr") != "vi" || Normalize("") != "vi" {
		t.Fatal("Normalize")
	}
}

// A message kept once rendered without parameters is the same text a
// fresh render gives, in each language, and a message with parameters is
// rendered anew every time.
func TestRenderKeepsPlainMessages(t *testing.T) {
	c, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, id string
		params   map[string]any
		want     string
	}{
		{"vi", "btn_take", nil, ""},
		{"en", "btn_take", nil, ""},
		{"vi", "topic_taken", map[string]any{"Name": "Chị Lan"}, "Chị Lan"},
		{"vi", "topic_taken", map[string]any{"Name": "Anh Minh"}, "Anh Minh"},
	}
	for _, tt := range tests {
		for range 2 { // the second time from what was kept
			got := c.T(tt.lang, tt.id, tt.params)
			if want := fresh.T(tt.lang, tt.id, tt.params); got != want || !strings.Contains(got, tt.want) {
				t.Errorf("T(%s, %s, %v) = %q, want %q", tt.lang, tt.id, tt.params, got, want)
			}
		}
	}
	if vi, en := c.T("vi", "btn_take", nil), c.T("en", "btn_take", nil); vi == en {
		t.Errorf("both languages kept as %q", vi)
	}
}

// BenchmarkT renders a button label and a message with a parameter, as
// every reply does.
func BenchmarkT(b *testing.B) {
	c, err := Load(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.T("vi", "btn_take", nil)
		c.T("vi", "topic_taken", map[string]any{"Name": "Chị Lan"})
	}
}
