package desk

import (
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"

	"reentrybot/store"
)

// Recovery codes stand in for the authenticator app (a lost or replaced
// phone): each signs in once, with the password. Ten are made when the
// account is, shown once; a new set replaces the old. Each is 16 letters
// and digits of base32 (80 random bits), so a fast hash is enough to
// keep them: there is no dictionary to try.
const (
	recoveryCount = 10
	recoveryLen   = 16
)

const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// newRecoveryCodes makes a set of codes, shown in groups of four
// ("abcd-efgh-jkmn-pqrs"), and their hashes.
func newRecoveryCodes() (codes []string, hashes [][]byte) {
	for range recoveryCount {
		b := make([]byte, recoveryLen)
		if _, err := rand.Read(b); err != nil {
			panic(err) // crypto/rand does not fail on Linux
		}
		var sb strings.Builder
		for i, c := range b {
			if i > 0 && i%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[c&31]) // 256 is a multiple of 32: no bias
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, recoveryHash(normalizeRecovery(sb.String())))
	}
	return codes, hashes
}

// normalizeRecovery reads a typed recovery code: any case, with or
// without dashes and spaces, digits that look like letters taken as
// those letters (base32 has no 0, 1 or 8). "" when it cannot be one.
func normalizeRecovery(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == '0':
			r = 'o'
		case r == '1':
			r = 'l'
		case r == '8':
			r = 'b'
		}
		if !strings.ContainsRune(recoveryAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
	}
	if b.Len() != recoveryLen {
		return ""
	}
	return b.String()
}

func recoveryHash(normalized string) []byte {
	h := sha256.Sum256([]byte("desk recovery code\x00" + normalized))
	return h[:]
}

// recoveryPage shows how many recovery codes are left and offers a new
// set (after a sign-in with one, it says so).
func (s *Server) recoveryPage(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	s.recoveryForm(w, r, http.StatusOK, sess, "")
}

func (s *Server) recoveryForm(w http.ResponseWriter, r *http.Request, status int, sess store.DeskSession, problem string) {
	left, err := s.db.DeskRecoveryLeft(r.Context(), sess.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := s.pageData(r, "desk_recovery_title", "/recovery")
	data["Sess"], data["Left"], data["Error"] = sess, left, problem
	if r.URL.Query().Get("m") == "used" {
		data["Notice"] = s.tr(r, "desk_recovery_used", nil)
	}
	s.render(w, status, "recovery", data)
}

// regenerate makes a new set of recovery codes after the password is
// given again (a session left open must not be enough), and shows them
// once; the old set stops working.
func (s *Server) regenerate(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	pw := r.PostFormValue("password")
	hash, err := s.db.DeskPasswordHash(ctx, sess.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(pw) > maxPassword || !checkPassword(hash, pw) {
		s.audit(ctx, sess.ID, "desk_recovery_refused", 0, "wrong password")
		s.recoveryForm(w, r, http.StatusUnauthorized, sess, s.tr(r, "desk_recovery_wrong_password", nil))
		return
	}
	codes, hashes := newRecoveryCodes()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetDeskRecoveryCodes(ctx, sess.ID, hashes); err != nil {
			return err
		}
		return tx.Audit(ctx, sess.ID, 0, "desk_recovery_codes_made", 0, strconv.Itoa(len(codes))+" (the old set voided)")
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := s.pageData(r, "desk_recovery_title", "/recovery")
	data["Sess"], data["Codes"] = sess, codes
	s.render(w, http.StatusOK, "recovery", data)
}
