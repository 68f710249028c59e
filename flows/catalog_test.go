package flows

import (
	"fmt"
	"strings"
	"testing"

	"reentrybot/i18n"
)

// labelKeys lists the catalog texts the flows render into parameters
// (summaries, case messages); the transcripts check the reply keys.
func labelKeys() []string {
	keys := []string{"trade_any", "fee_free", "loan_day_counsellor", "length_day", "length_week",
		"when_now", "when_today", "when_tomorrow", "when_later", "btn_yes", "btn_no", "btn_not_sure"}
	add := func(prefix string, vals []string) {
		for _, v := range vals {
			keys = append(keys, prefix+v)
		}
	}
	add("trade_", trades)
	add("where_", jobWhere)
	add("hours_", jobHours)
	add("start_", jobStart)
	add("work_status_", jobStatuses)
	add("qual_", jobQualifications)
	add("wage_", jobWages)
	add("abroad_", jobAbroad)
	add("priority_", jobPriorities)
	add("barrier_", jobBarriers)
	add("btn_edit_", jobFields)
	add("gender_", genders)
	add("edu_", educations)
	add("field_", editableFields)
	add("loan_purpose_", loanPurposes)
	add("loan_amount_", loanAmountsBusiness)
	add("loan_amount_", loanAmountsStudy)
	add("loan_amount_", loanAmountsBefore)
	add("loan_cert_", loanCertificates)
	add("loan_household_", yesNo)
	add("loan_within5_", yesNo)
	add("btn_edit_loan_", []string{"purpose", "amount", "certificate", fieldSentenceEnd, "within5", "cosigner", "debt", "day"})
	add("btn_edit_course_", []string{"list", "prior"})
	add("next_", []string{"job", "course", "loan", "other"})
	for _, p := range Purposes {
		keys = append(keys, "purpose_"+string(p), "consent_need_"+string(p))
	}
	for d := range 7 {
		keys = append(keys, fmt.Sprintf("weekday_%d", d))
	}
	return keys
}

func TestCatalogHasEveryLabel(t *testing.T) {
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	params := map[string]any{"On": true, "Count": 2, "End": "17:00", "Time": "07:30", "Weekday": "x", "Date": "23/11", "Months": 24}
	for _, lang := range cat.Langs() {
		for _, k := range labelKeys() {
			if k == "consent_need_announcements" {
				continue // announcements are never asked for on their own
			}
			s, err := cat.Render(lang, k, params)
			if err != nil {
				t.Errorf("%v", err)
			} else if strings.Contains(s, "<no value>") {
				t.Errorf("%s/%s: %q", lang, k, s)
			}
		}
	}
}

// Every message exists in every language, and the plural messages (those
// given a Count) have both forms: go-i18n fails on a missing form only
// when it is used.
func TestCatalogLanguagesMatch(t *testing.T) {
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	langs := cat.Langs()
	if len(langs) < 2 {
		t.Fatalf("languages: %v", langs)
	}
	for _, l := range langs[1:] {
		a, b := map[string]bool{}, map[string]bool{}
		for _, k := range cat.Keys(langs[0]) {
			a[k] = true
		}
		for _, k := range cat.Keys(l) {
			b[k] = true
			if !a[k] {
				t.Errorf("%q only in %s", k, l)
			}
		}
		for k := range a {
			if !b[k] {
				t.Errorf("%q missing in %s", k, l)
			}
		}
	}
	for _, lang := range langs {
		for _, k := range []string{"commune_pick", "course_list", "length_day", "length_week"} {
			for _, n := range []int{1, 2} {
				if _, err := cat.Render(lang, k, map[string]any{"Count": n}); err != nil {
					t.Errorf("%s/%s with Count=%d: %v", lang, k, n, err)
				}
			}
		}
	}
}
