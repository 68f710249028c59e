package desk_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"reentrybot/i18n"
	"reentrybot/refdata"
)

// Every kind of problem refdata reports has its message in both desk
// catalogs, taking the same parameters; the English one says what the CLI
// says.
func TestImportProblemCatalogs(t *testing.T) {
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every parameter any problem has, each standing for itself, so that a
	// rendering shows which ones it used.
	args := map[string]any{}
	for _, n := range []string{"Allowed", "Booked", "Capacity", "Code", "Columns", "Deadline", "Detail", "Ends", "Expected",
		"First", "Max", "Min", "N", "Start", "Value", "Want"} {
		args[n] = "‹" + n + "›"
	}
	used := regexp.MustCompile(`‹\w+›`)
	kinds := refdata.ProblemKinds()
	if len(kinds) < 30 {
		t.Fatalf("only %d kinds of problem", len(kinds))
	}
	for _, k := range kinds {
		key := "desk_import_problem_" + string(k)
		vi, err := cat.Render("vi", key, args)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		en, err := cat.Render("en", key, args)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		if cli := (refdata.Problem{Kind: k, Args: args}).English(); en != cli {
			t.Errorf("%s: the desk says %q, the CLI %q", k, en, cli)
		}
		pv, pe := used.FindAllString(vi, -1), used.FindAllString(en, -1)
		slices.Sort(pv)
		slices.Sort(pe)
		if !slices.Equal(pv, pe) || strings.Contains(vi, "<no value>") || vi == en {
			t.Errorf("%s: Vietnamese %q (with %v), English %q (with %v)", k, vi, pv, en, pe)
		}
	}
}
