package refdata

import (
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// Problem is one thing wrong in a file: its line, its column (none for a
// whole line), what is wrong (Kind) and the values that say it (Args,
// named as in the message). The CLI prints it in English (String); the
// desk words it in its member's language through the catalogs, message
// "desk_import_problem_<kind>" with Args as its parameters.
type Problem struct {
	Line  int
	Field string
	Kind  ProblemKind
	Args  map[string]any
}

// ProblemKind names what is wrong; its English wording is in problemText.
type ProblemKind string

const (
	ProbEmptyFile          ProblemKind = "empty_file"
	ProbBareQuote          ProblemKind = "bare_quote"
	ProbQuote              ProblemKind = "quote"
	ProbUnreadable         ProblemKind = "unreadable"
	ProbUnknownColumn      ProblemKind = "unknown_column"
	ProbColumnTwice        ProblemKind = "column_twice"
	ProbColumnMissing      ProblemKind = "column_missing"
	ProbFieldCount         ProblemKind = "field_count"
	ProbNotUTF8            ProblemKind = "not_utf8"
	ProbNoRows             ProblemKind = "no_rows"
	ProbEmpty              ProblemKind = "empty"
	ProbLength             ProblemKind = "length"
	ProbOneLine            ProblemKind = "one_line"
	ProbNotDigits          ProblemKind = "not_digits"
	ProbNotOneOf           ProblemKind = "not_one_of"
	ProbNotBoolean         ProblemKind = "not_boolean"
	ProbNotInteger         ProblemKind = "not_integer"
	ProbNotDate            ProblemKind = "not_date"
	ProbNotClock           ProblemKind = "not_clock"
	ProbDuplicate          ProblemKind = "duplicate"
	ProbLegacySupport      ProblemKind = "legacy_support"
	ProbCourseCode         ProblemKind = "course_code"
	ProbDeadlineAfterStart ProblemKind = "deadline_after_start"
	ProbNoCommune          ProblemKind = "no_commune"
	ProbCommuneRetired     ProblemKind = "commune_retired"
	ProbBelowBooked        ProblemKind = "below_booked"
	ProbEndsBeforeStart    ProblemKind = "ends_before_start"
	ProbSameStart          ProblemKind = "same_start"
	ProbOfficerAll         ProblemKind = "officer_all"
	ProbCommunesEmpty      ProblemKind = "communes_empty"
	ProbNotCommuneCode     ProblemKind = "not_commune_code"
)

// problemText is each kind's English wording, in go-i18n's template
// syntax so that the desk's catalogs take the same Args. A Value is a
// cell of the file, already quoted (quoted).
var problemText = map[ProblemKind]string{
	ProbEmptyFile:          "the file is empty; the first line must name the columns: {{.Columns}}",
	ProbBareQuote:          `a quote mark (") inside a field that is not in quotes: put the field in quotes and write the mark twice ("")`,
	ProbQuote:              `a field in quotes is not closed, or has a stray quote mark (")`,
	ProbUnreadable:         "cannot be read as CSV: {{.Detail}}",
	ProbUnknownColumn:      "unknown column (expected {{.Expected}})",
	ProbColumnTwice:        "column given twice",
	ProbColumnMissing:      "column missing from the header",
	ProbFieldCount:         "{{.N}} fields, the header has {{.Want}}",
	ProbNotUTF8:            "not valid UTF-8 (save the file as UTF-8)",
	ProbNoRows:             "no rows after the header",
	ProbEmpty:              "is empty",
	ProbLength:             "{{.N}} characters, must be {{.Min}} to {{.Max}}",
	ProbOneLine:            "must be on one line",
	ProbNotDigits:          "{{.Value}} is not a code of digits",
	ProbNotOneOf:           "{{.Value}}: must be one of {{.Allowed}}",
	ProbNotBoolean:         "{{.Value}}: must be true or false",
	ProbNotInteger:         "{{.Value}}: must be a whole number from {{.Min}} to {{.Max}}, without separators",
	ProbNotDate:            "{{.Value}}: must be a date YYYY-MM-DD",
	ProbNotClock:           "{{.Value}}: must be a time HH:MM",
	ProbDuplicate:          "{{.Code}} already on line {{.First}}",
	ProbLegacySupport:      "one figure for every learner is no longer read: give the support per learner group in {{.Columns}} (empty where the data gives none)",
	ProbCourseCode:         "{{.Value}}: 1 to 40 letters, digits, dots, dashes or underscores",
	ProbDeadlineAfterStart: "{{.Deadline}} is after the start date {{.Start}}",
	ProbNoCommune:          "no commune {{.Code}} (import the communes first)",
	ProbCommuneRetired:     "commune {{.Code}} is retired",
	ProbBelowBooked:        "{{.Capacity}} is below the {{.Booked}} places already booked",
	ProbEndsBeforeStart:    "{{.Ends}} is not after the start {{.Start}}",
	ProbSameStart:          "the same commune, day and start are already on line {{.First}}",
	ProbOfficerAll:         "an officer needs their communes, not all",
	ProbCommunesEmpty:      "give commune codes, or all",
	ProbNotCommuneCode:     "{{.Value}} is not a commune code",
}

var problemTmpl = func() map[ProblemKind]*template.Template {
	out := make(map[ProblemKind]*template.Template, len(problemText))
	for k, s := range problemText {
		out[k] = template.Must(template.New(string(k)).Option("missingkey=error").Parse(s))
	}
	return out
}()

// ProblemKinds are every kind a Problem may have, sorted.
func ProblemKinds() []ProblemKind { return slices.Sorted(maps.Keys(problemText)) }

// English is what is wrong, in English, without the line and column.
func (p Problem) English() string {
	t, ok := problemTmpl[p.Kind]
	if !ok {
		return fmt.Sprintf("%s %v", p.Kind, p.Args)
	}
	var b strings.Builder
	if err := t.Execute(&b, p.Args); err != nil {
		return fmt.Sprintf("%s %v", p.Kind, p.Args)
	}
	return b.String()
}

func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("line %d: %s", p.Line, p.English())
	}
	return fmt.Sprintf("line %d, field %s: %s", p.Line, p.Field, p.English())
}

// Problems is a file that was refused; nothing was written.
type Problems []Problem

const maxProblems = 50

func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problem(s), nothing was written:", len(ps))
	for i, p := range ps {
		if i == maxProblems {
			fmt.Fprintf(&b, "\n  … and %d more", len(ps)-maxProblems)
			break
		}
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// args are a problem's Args.
type args = map[string]any

// quoted is a cell of the file as a problem shows it: in quotes, with
// what cannot be printed escaped.
func quoted(v string) string { return strconv.Quote(v) }

// csvProblem is what is wrong when encoding/csv cannot read a line.
func csvProblem(err error) (ProblemKind, args) {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return ProbBareQuote, nil
	case errors.Is(err, csv.ErrQuote):
		return ProbQuote, nil
	}
	return ProbUnreadable, args{"Detail": err.Error()}
}
