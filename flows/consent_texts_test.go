package flows_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"reentrybot/flows"
	"reentrybot/i18n"
)

// consentTexts are the texts a consent decision answers (flows/consent.go
// records their hash); their wording is pinned to ConsentTextVersion.
var consentTexts = []struct {
	key    string
	params map[string]any
}{
	{"privacy_notice", map[string]any{"Controller": "C", "Contact": "K", "Months": 24, "Ask": true}},
	{"consent_choose", nil},
	{"purpose_job", map[string]any{"On": false}},
	{"purpose_training", map[string]any{"On": false}},
	{"purpose_loan", map[string]any{"On": false}},
	{"purpose_announcements", map[string]any{"On": false}},
	{"consent_need_job", map[string]any{"Months": 24}},
	{"consent_need_training", map[string]any{"Months": 24}},
	{"consent_need_loan", map[string]any{"Months": 24}},
	{"consent_withdraw_confirm", map[string]any{"Requests": "R", "Appointment": true}},
	{"mydata_delete_confirm", nil},
}

// A consent text's wording changes only with a new ConsentTextVersion:
// the version in the records then still names a catalog that holds the
// words people read. -update rewrites the pinned hashes, but not under the
// same version.
func TestConsentTextsChangeWithTheirVersion(t *testing.T) {
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, lang := range []string{"vi", "en"} {
		for _, c := range consentTexts {
			s, err := cat.Render(lang, c.key, c.params)
			if err != nil {
				t.Fatalf("%s/%s: %v", lang, c.key, err)
			}
			sum := sha256.Sum256([]byte(s))
			lines = append(lines, fmt.Sprintf("%s %s %s", lang, c.key, hex.EncodeToString(sum[:])))
		}
	}
	const file = "testdata/consent_texts.txt"
	got := flows.ConsentTextVersion + "\n" + strings.Join(lines, "\n") + "\n"
	raw, err := os.ReadFile(file)
	if err != nil && !*update {
		t.Fatal(err)
	}
	want := string(raw)
	if want == got {
		return
	}
	wantVersion, _, _ := strings.Cut(want, "\n")
	if wantVersion == flows.ConsentTextVersion {
		var changed []string
		for _, l := range lines {
			if !slices.Contains(strings.Split(want, "\n"), l) {
				changed = append(changed, strings.Join(strings.Fields(l)[:2], "/"))
			}
		}
		t.Fatalf("consent texts changed under version %s: %v; give domain.ConsentTextVersion a new value, then run go test ./flows -update", wantVersion, changed)
	}
	if !*update {
		t.Fatalf("ConsentTextVersion is %s, %s pins %s; run go test ./flows -update", flows.ConsentTextVersion, file, wantVersion)
	}
	if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
		t.Fatal(err)
	}
}
