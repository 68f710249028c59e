package desk

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"reentrybot/dbtest"
	"reentrybot/i18n"
	"reentrybot/store"
)

// benchDesk is a desk with a signed-in admin (no communes: the province)
// and a month of cases: cases spread over the first communes, and audit
// lines.
func benchDesk(b *testing.B, cases, communes, auditLines int) (http.Handler, *http.Cookie) {
	b.Helper()
	ctx := context.Background()
	s, db, now := benchServer(b, Options{})
	hash := s.opt.HashInvite
	if _, err := db.CreateInvite(ctx, store.RoleAdmin, nil, "Quản trị", hash("code"), now.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	token := newToken()
	var codes []string
	var err error
	if err := db.X.Select(&codes, `SELECT code FROM communes WHERE active ORDER BY code LIMIT $1`, communes); err != nil {
		b.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		st, err := tx.RedeemDeskInvite(ctx, hash("code"), "admin", "x", "SECRET", 1)
		if err != nil {
			return err
		}
		if _, err := tx.DeskSignedIn(ctx, st.ID, 2, hashToken(token), newToken()); err != nil {
			return err
		}
		for i := 0; i < cases; i++ {
			p, err := tx.TouchPerson(ctx, "telegram", strconv.Itoa(i), strconv.Itoa(i), "vi")
			if err != nil {
				return err
			}
			if _, err := tx.X.ExecContext(ctx, `INSERT INTO cases (person_id, kind, commune_code, opened_at, updated_at) VALUES ($1, 'job', $2, $3, $3)`,
				p.ID, codes[i%len(codes)], now.Add(-time.Duration(i)*time.Minute)); err != nil {
				return err
			}
		}
		_, err = tx.X.ExecContext(ctx, `INSERT INTO audit_log (staff_id, action, case_id, detail, at)
SELECT $1, 'note', NULL, 'line ' || g, $2::timestamptz - g * interval '1 second' FROM generate_series(1, $3) g`, st.ID, now, auditLines)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return s.Handler(), &http.Cookie{Name: sessionCookie, Value: token}
}

// benchServer is a desk with options opt on a fresh database whose clock
// stands at now; invite codes are hashed with hashToken.
func benchServer(b *testing.B, opt Options) (s *Server, db *store.DB, now time.Time) {
	b.Helper()
	db = &store.DB{X: dbtest.New(b)}
	now = time.Date(2026, 12, 20, 3, 0, 0, 0, time.UTC)
	db.SetClock(func() time.Time { return now })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat, err := i18n.Load(log)
	if err != nil {
		b.Fatal(err)
	}
	opt.HashInvite = func(c string) []byte { return hashToken(c) }
	if s, err = New(db, cat, opt, log); err != nil {
		b.Fatal(err)
	}
	return s, db, now
}

func benchGet(b *testing.B, h http.Handler, c *http.Cookie, path string) {
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, rec.Code)
		}
	}
}

// The province's report page (table, chart, audit line) for a month of
// 2,000 cases over 99 communes: what an admin waits for.
func BenchmarkReportPage(b *testing.B) {
	h, c := benchDesk(b, 2000, 99, 0)
	benchGet(b, h, c, "/report?month=2026-12")
}

// A page deep in an audit log of 100,000 lines.
func BenchmarkAuditPage(b *testing.B) {
	h, c := benchDesk(b, 0, 1, 100_000)
	benchGet(b, h, c, "/audit?page=1000")
}

func BenchmarkAuditFirstPage(b *testing.B) {
	h, c := benchDesk(b, 0, 1, 100_000)
	benchGet(b, h, c, "/audit")
}
