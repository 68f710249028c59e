package desk

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"reentrybot/refdata"
	"reentrybot/store"
)

// Reference data import (admins), as `reentrybot import` does it: the
// file is read and checked by package refdata; the preview runs the very
// import in a transaction that rolls back (store.DryRun), so its counts
// and refusals are the apply's; applying reads and checks the file again.

// importKinds are the files the page takes, in the CLI's names, with
// their names' catalog keys (staff files have their own page: invites).
var importKinds = []struct{ Value, Key string }{
	{"communes", "desk_import_communes"},
	{"courses", "desk_import_courses"},
	{"loan-days", "desk_import_loan_days"},
}

// importKindName is a kind's name in the request's language.
func (s *Server) importKindName(r *http.Request, kind string) (string, bool) {
	for _, k := range importKinds {
		if k.Value == kind {
			return s.tr(r, k.Key, nil), true
		}
	}
	return "", false
}

// importRun parses data as a kind's file and imports it (a preview under
// store.DryRun). Problems come back as refdata.Problems.
func importRun(ctx context.Context, db *store.DB, kind string, data []byte, retire bool) (refdata.Result, error) {
	in := bytes.NewReader(data)
	switch kind {
	case "communes":
		recs, err := refdata.ParseCommuneFile(in)
		if err != nil {
			return refdata.Result{}, err
		}
		return refdata.ImportCommunes(ctx, db, recs, retire)
	case "courses":
		recs, err := refdata.ParseCourseFile(in)
		if err != nil {
			return refdata.Result{}, err
		}
		return refdata.ImportCourses(ctx, db, recs, retire)
	case "loan-days":
		recs, err := refdata.ParseLoanDayFile(in)
		if err != nil {
			return refdata.Result{}, err
		}
		return refdata.ImportLoanDays(ctx, db, recs)
	}
	return refdata.Result{}, fmt.Errorf("unknown import %q", kind)
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	s.render(w, http.StatusOK, "import", s.importData(r, sess, "communes"))
}

func (s *Server) importData(r *http.Request, sess store.DeskSession, kind string) map[string]any {
	kinds := make([]map[string]string, len(importKinds))
	for i, k := range importKinds {
		kinds[i] = map[string]string{"Value": k.Value, "Name": s.tr(r, k.Key, nil)}
	}
	data := s.pageData(r, "desk_import_title", "/import") // lang.go
	data["Sess"], data["Kinds"], data["Kind"], data["MaxMB"] = sess, kinds, kind, maxImportFile>>20
	return data
}

// importRefused shows the upload form again with what is wrong, each
// problem refdata found worded in the request's language.
func (s *Server) importRefused(w http.ResponseWriter, r *http.Request, sess store.DeskSession, kind, problem string, problems refdata.Problems) {
	data := s.importData(r, sess, kind)
	data["Error"] = problem
	lines := make([]string, 0, min(len(problems), maxShownProblems+1))
	for i, p := range problems {
		if i == maxShownProblems { // as the CLI: the first ones, then a count
			lines = append(lines, s.tr(r, "desk_import_more", map[string]any{"N": len(problems) - i}))
			break
		}
		where := s.tr(r, "desk_import_line", map[string]any{"Line": p.Line})
		if p.Field != "" {
			where = s.tr(r, "desk_import_line_field", map[string]any{"Line": p.Line, "Field": p.Field})
		}
		lines = append(lines, where+": "+s.tr(r, problemKey(p.Kind), p.Args))
	}
	data["Problems"] = lines
	s.render(w, http.StatusUnprocessableEntity, "import", data)
}

// maxShownProblems is how many problems of a file the page lists.
const maxShownProblems = 50

// problemKey is the catalog message that words a kind of problem.
func problemKey(k refdata.ProblemKind) string { return "desk_import_problem_" + string(k) }

// importForm reads the kind and the retire box; retiring applies to
// communes and courses only, as in the CLI.
func importForm(r *http.Request) (kind string, retire bool) {
	kind = r.PostFormValue("kind")
	retire = r.PostFormValue("retire") == "on" && kind != "loan-days"
	return kind, retire
}

func (s *Server) importPreview(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	kind, retire := importForm(r)
	name, ok := s.importKindName(r, kind)
	if !ok {
		s.importRefused(w, r, sess, "communes", s.tr(r, "desk_import_pick_kind", nil), nil)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		s.importRefused(w, r, sess, kind, s.tr(r, "desk_import_pick_file", nil), nil)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportFile+1))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(data) > maxImportFile {
		s.importRefused(w, r, sess, kind, s.tr(r, "desk_import_too_big", map[string]any{"MB": maxImportFile >> 20}), nil)
		return
	}
	res, err := importRun(store.DryRun(r.Context()), s.db, kind, data, retire)
	if s.importFailed(w, r, sess, kind, err) {
		return
	}
	data2 := s.importData(r, sess, kind)
	data2["Preview"], data2["Summary"], data2["KindName"], data2["Retire"] = true, s.resultText(r, res), name, retire
	data2["Data"] = base64.StdEncoding.EncodeToString(data)
	data2["Nothing"] = res.Added+res.Changed+res.Retired == 0
	s.render(w, http.StatusOK, "import", data2)
}

// importFailed answers a refused file or an error; false when err is
// nothing (or the preview's rollback).
func (s *Server) importFailed(w http.ResponseWriter, r *http.Request, sess store.DeskSession, kind string, err error) bool {
	var probs refdata.Problems
	switch {
	case err == nil || errors.Is(err, store.ErrDryRun):
		return false
	case errors.As(err, &probs):
		s.audit(r.Context(), sess.ID, "import_refused", 0, fmt.Sprintf("desk %s, %d problem(s)", kind, len(probs)))
		s.importRefused(w, r, sess, kind, s.tr(r, "desk_import_refused", map[string]any{"Count": len(probs)}), probs)
	default:
		s.fail(w, r, err)
	}
	return true
}

func (s *Server) importApply(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	kind, retire := importForm(r)
	name, ok := s.importKindName(r, kind)
	data, err := base64.StdEncoding.DecodeString(r.PostFormValue("data"))
	if !ok || err != nil || len(data) == 0 || len(data) > maxImportFile {
		s.importRefused(w, r, sess, "communes", s.tr(r, "desk_import_bad_request", nil), nil)
		return
	}
	res, err := importRun(r.Context(), s.db, kind, data, retire)
	if s.importFailed(w, r, sess, kind, err) {
		return
	}
	s.audit(r.Context(), sess.ID, "import", 0, "desk "+kind+": "+res.String())
	d := s.importData(r, sess, kind)
	d["Done"], d["Summary"], d["KindName"] = true, s.resultText(r, res), name
	s.render(w, http.StatusOK, "import", d)
}

// resultText says a refdata.Result in the request's language.
func (s *Server) resultText(r *http.Request, res refdata.Result) string {
	n := func(key string, v int) string { return s.tr(r, key, map[string]any{"N": v}) }
	parts := []string{n("desk_import_added", res.Added), n("desk_import_changed", res.Changed), n("desk_import_unchanged", res.Unchanged)}
	if res.Retired > 0 {
		parts = append(parts, n("desk_import_retired", res.Retired))
	}
	return strings.Join(parts, ", ")
}
