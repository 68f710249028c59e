package desk

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"reentrybot/store"
)

// A failed sign-in's cost for an unknown login, a wrong password and a
// locked account: the same password hash each, so the times should differ
// by a database statement at most (compare the three ns/op).
func BenchmarkSignInFailure(b *testing.B) {
	ctx := context.Background()
	// Neither the address limit nor the lock ends the loop.
	s, db, now := benchServer(b, Options{AddrLimit: 1 << 30, LockAfter: 1 << 30})
	hash := s.opt.HashInvite
	ph, err := hashPassword("mật khẩu dài 2026")
	if err != nil {
		b.Fatal(err)
	}
	for _, login := range []string{"wrong", "locked"} {
		if _, err := db.CreateInvite(ctx, store.RoleCounsellor, nil, login, hash(login), now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.RedeemDeskInvite(ctx, hash(login), login, ph, "JBSWY3DPEHPK3PXP", 1)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.X.Exec(`UPDATE desk_accounts SET locked_until = $1 WHERE login = 'locked'`, now.Add(24*time.Hour)); err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	pre := newToken()
	for _, tt := range []struct{ name, login, pw string }{
		{"unknown", "khong-co", "mật khẩu dài 2026"},
		{"wrong", "wrong", "sai mật khẩu rồi"},
		{"locked", "locked", "mật khẩu dài 2026"},
	} {
		form := url.Values{"csrf": {pre}, "login": {tt.login}, "password": {tt.pw}, "code": {"123456"}}.Encode()
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("POST", "/signin", strings.NewReader(form))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.AddCookie(&http.Cookie{Name: preCookie, Value: pre})
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized {
					b.Fatalf("%s: %d", tt.name, rec.Code)
				}
			}
		})
	}
}
