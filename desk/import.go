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

// importKinds are the files the page takes, in the CLI's names (staff
// files have their own page: invites).
var importKinds = []struct{ Value, Name string }{
	{"communes", "Xã/phường"},
	{"courses", "Khoá học nghề"},
	{"loan-days", "Ngày giao dịch vay vốn"},
}

func importKindName(kind string) (string, bool) {
	for _, k := range importKinds {
		if k.Value == kind {
			return k.Name, true
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
	s.render(w, http.StatusOK, "import", s.importData(sess, "communes"))
}

func (s *Server) importData(sess store.DeskSession, kind string) map[string]any {
	return map[string]any{"Title": "Nhập dữ liệu", "Sess": sess, "Kinds": importKinds, "Kind": kind, "MaxMB": maxImportFile >> 20}
}

// importRefused shows the upload form again with what is wrong.
func (s *Server) importRefused(w http.ResponseWriter, sess store.DeskSession, kind, problem string, problems refdata.Problems) {
	data := s.importData(sess, kind)
	data["Error"] = problem
	lines := make([]string, 0, len(problems))
	for _, p := range problems {
		l := fmt.Sprintf("Dòng %d", p.Line)
		if p.Field != "" {
			l += ", cột " + p.Field
		}
		lines = append(lines, l+": "+p.Msg)
	}
	data["Problems"] = lines
	s.render(w, http.StatusUnprocessableEntity, "import", data)
}

// importForm reads the kind and the retire box; retiring applies to
// communes and courses only, as in the CLI.
func importForm(r *http.Request) (kind string, retire bool) {
	kind = r.PostFormValue("kind")
	retire = r.PostFormValue("retire") == "on" && kind != "loan-days"
	return kind, retire
}

func (s *Server) importPreview(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	kind, retire := importForm(r)
	name, ok := importKindName(kind)
	if !ok {
		s.importRefused(w, sess, "communes", "Hãy chọn loại dữ liệu.", nil)
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		s.importRefused(w, sess, kind, "Hãy chọn tệp CSV để tải lên.", nil)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportFile+1))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(data) > maxImportFile {
		s.importRefused(w, sess, kind, fmt.Sprintf("Tệp lớn quá: tối đa %d MB.", maxImportFile>>20), nil)
		return
	}
	res, err := importRun(store.DryRun(r.Context()), s.db, kind, data, retire)
	if s.importFailed(w, r, sess, kind, err) {
		return
	}
	data2 := s.importData(sess, kind)
	data2["Preview"], data2["Summary"], data2["KindName"], data2["Retire"] = true, resultText(res), name, retire
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
		s.importRefused(w, sess, kind, fmt.Sprintf("Tệp bị từ chối vì %d lỗi dưới đây; chưa có gì thay đổi. Hãy sửa tệp rồi tải lên lại.", len(probs)), probs)
	default:
		s.fail(w, r, err)
	}
	return true
}

func (s *Server) importApply(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	kind, retire := importForm(r)
	name, ok := importKindName(kind)
	data, err := base64.StdEncoding.DecodeString(r.PostFormValue("data"))
	if !ok || err != nil || len(data) == 0 || len(data) > maxImportFile {
		s.importRefused(w, sess, "communes", "Yêu cầu không hợp lệ. Hãy tải tệp lên lại.", nil)
		return
	}
	res, err := importRun(r.Context(), s.db, kind, data, retire)
	if s.importFailed(w, r, sess, kind, err) {
		return
	}
	s.audit(r.Context(), sess.ID, "import", 0, "desk "+kind+": "+res.String())
	d := s.importData(sess, kind)
	d["Done"], d["Summary"], d["KindName"] = true, resultText(res), name
	s.render(w, http.StatusOK, "import", d)
}

// resultText says a refdata.Result in Vietnamese.
func resultText(r refdata.Result) string {
	parts := []string{fmt.Sprintf("%d thêm mới", r.Added), fmt.Sprintf("%d thay đổi", r.Changed), fmt.Sprintf("%d giữ nguyên", r.Unchanged)}
	if r.Retired > 0 {
		parts = append(parts, fmt.Sprintf("%d ngừng dùng", r.Retired))
	}
	return strings.Join(parts, ", ")
}
