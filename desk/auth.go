package desk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/crypto/argon2"

	"reentrybot/clientaddr"
	"reentrybot/store"
)

// Argon2id parameters: OWASP's second recommended set (19 MiB, 2 passes),
// light enough for a small server signing in a few dozen staff.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// hashPassword encodes an argon2id hash in the usual PHC string form.
func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	copy(salt, hashToken(newToken()))
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword compares pw with an encoded hash, with the parameters the
// hash was made with.
func checkPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// totpStep returns the 30-second step whose code is code, looking one step
// either side of now (clocks drift); ok is false for a wrong code.
func totpStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	for _, d := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(d) * 30 * time.Second)
		want, err := totp.GenerateCode(secret, at)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / 30, true
		}
	}
	return 0, false
}

var loginRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,39}$`)

// Password lengths: long enough to resist guessing with the lockout, short
// enough to bound the hashing work a request can ask for.
const (
	minPassword = 10
	maxPassword = 128
)

// preToken returns the sign-in forms' CSRF token, setting its cookie when
// the browser has none yet.
func (s *Server) preToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 40 && len(c.Value) <= 100 {
		return c.Value
	}
	t := newToken()
	s.setCookie(w, r, preCookie, t, 0)
	return t
}

// preChecked reports whether a sign-in form's POST carries the token of
// its cookie.
func (s *Server) preChecked(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	c, err := r.Cookie(preCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		s.log.Warn("desk sign-in form without a valid CSRF token", "path", r.URL.Path)
		s.say(w, r, http.StatusForbidden, "desk_bad_request", nil)
		return false
	}
	return true
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	data := s.pageData(r, "desk_signin_title", "/signin")
	data["CSRF"] = s.preToken(w, r)
	if r.URL.Query().Get("m") == "created" {
		data["Notice"] = s.tr(r, "desk_created", nil)
	}
	s.render(w, http.StatusOK, "signin", data)
}

// helpAfter is how many failed sign-ins from one address (in the address
// limit's window, ratelimit.go) bring the help text under the error: the
// way out of a forgotten password or a locked account is the admin.
const helpAfter = 3

// signin checks a login, password and code. A wrong password, an unknown
// login and a locked account get the same page, status and work (one
// password hash each, against a fixed dummy hash for an unknown login), so
// that a guesser learns nothing of which logins exist or are locked; the
// lock still holds and is audited, and the member learns of it from the
// admin.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	if !s.preChecked(w, r) {
		return
	}
	ctx := r.Context()
	addr := clientaddr.Of(r)
	if s.addrBlocked(w, r, addr) { // ratelimit.go
		return
	}
	login := strings.ToLower(strings.TrimSpace(r.PostFormValue("login")))
	pw, code := r.PostFormValue("password"), r.PostFormValue("code")
	token, csrf := newToken(), newToken()
	from := " from " + addr
	tag, err := s.loginTag(ctx, login) // for every login: the same work
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ok, left, lang, failures := false, -1, "", 0
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		ok, left, lang, failures = false, -1, "", 0
		failed := func() (err error) {
			failures, err = s.addrFailed(ctx, tx, addr)
			return err
		}
		now := s.db.Now()
		a, found, err := tx.DeskAccountByLogin(ctx, login)
		if err != nil {
			return err
		}
		hash := s.dummyHash // as slow as a known login
		if found {
			hash = a.PasswordHash
		}
		pwOK := checkPassword(hash, pw) && found && len(pw) <= maxPassword
		if !found {
			if err := failed(); err != nil {
				return err
			}
			return tx.Audit(ctx, 0, 0, "desk_signin_failed", 0, "unknown login (hash "+tag+")"+from)
		}
		if a.LockedUntil.Valid && a.LockedUntil.Time.After(now) {
			if err := failed(); err != nil {
				return err
			}
			return tx.Audit(ctx, a.ID, 0, "desk_signin_locked", 0, strings.TrimPrefix(from, " "))
		}
		lang = a.Language
		recovery := normalizeRecovery(code) // recovery.go; "" for a TOTP code
		if pwOK && recovery != "" {
			used, n, err := tx.UseDeskRecoveryCode(ctx, a.ID, recoveryHash(recovery))
			if err != nil {
				return err
			}
			if used {
				ok, left = true, n
				if err := tx.DeskSignedInRecovery(ctx, a.ID, hashToken(token), csrf); err != nil {
					return err
				}
				if err := tx.Audit(ctx, a.ID, 0, "desk_recovery_used", 0, strconv.Itoa(n)+" left"); err != nil {
					return err
				}
				return tx.Audit(ctx, a.ID, 0, "desk_signin", 0, "recovery code"+from)
			}
		}
		if pwOK && recovery == "" {
			if step, codeOK := totpStep(a.TOTPSecret, code, now); codeOK {
				signedIn, err := tx.DeskSignedIn(ctx, a.ID, step, hashToken(token), csrf)
				if err != nil {
					return err
				}
				if signedIn {
					ok = true
					return tx.Audit(ctx, a.ID, 0, "desk_signin", 0, "authenticator code"+from)
				}
				// a code already used: wrong
			}
		}
		why := "password"
		if pwOK {
			why = "code"
			if recovery != "" {
				why = "recovery code"
			}
		}
		locked, err := tx.DeskSignInFailed(ctx, a.ID, s.opt.LockAfter, now.Add(s.opt.LockFor))
		if err != nil {
			return err
		}
		if err := failed(); err != nil {
			return err
		}
		if err := tx.Audit(ctx, a.ID, 0, "desk_signin_failed", 0, why+from); err != nil {
			return err
		}
		if locked {
			s.log.Warn("desk account locked after wrong sign-ins", "staff", a.ID)
			return tx.Audit(ctx, a.ID, 0, "desk_locked", 0, s.opt.LockFor.String())
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ok && lang != "" {
		s.setCookie(w, r, langCookie, lang, 365*24*3600) // the member's own, on this browser too
	}
	switch {
	case ok && left >= 0:
		s.setCookie(w, r, sessionCookie, token, 0)
		http.Redirect(w, r, "/recovery?m=used", http.StatusSeeOther) // the count left, a new set
		return
	case ok:
		s.setCookie(w, r, sessionCookie, token, 0)
		http.Redirect(w, r, "/", http.StatusSeeOther) // the member's home (desk.go)
		return
	}
	data := s.pageData(r, "desk_signin_title", "/signin")
	data["CSRF"], data["Login"], data["Error"] = s.preToken(w, r), login, s.tr(r, "desk_wrong", nil)
	if failures >= helpAfter {
		data["Help"] = s.tr(r, "desk_signin_help", nil)
	}
	s.render(w, http.StatusUnauthorized, "signin", data)
}

// loginTag is a short keyed hash (HMAC-SHA-256 with the desk's stored key,
// store.DeskLoginKey) of a login: an unknown one is audited by it, never
// as typed (it may be a password typed in the wrong box), and repeated
// tries of one login still show as one.
func (s *Server) loginTag(ctx context.Context, login string) (string, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.loginKey == nil {
		k, err := s.db.DeskLoginKey(ctx, newToken())
		if err != nil {
			return "", err
		}
		s.loginKey = []byte(k)
	}
	m := hmac.New(sha256.New, s.loginKey)
	m.Write([]byte(login))
	return hex.EncodeToString(m.Sum(nil)[:6]), nil
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.db.EndDeskSession(r.Context(), hashToken(c.Value)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.audit(r.Context(), sess.ID, "desk_signout", 0, "")
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// signoutEverywhere ends every session of the member (a browser left
// signed in elsewhere), this one included.
func (s *Server) signoutEverywhere(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		if err := tx.EndDeskSessions(r.Context(), sess.ID); err != nil {
			return err
		}
		return tx.Audit(r.Context(), sess.ID, 0, "desk_signout_everywhere", 0, "")
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// InvitePath is the desk's page that redeems an invite code (the same
// codes as the Telegram invite links): the desk's URL + InvitePath + code.
const InvitePath = "/invite/"

// invitePage shows the account form of a valid invite, with a fresh TOTP
// secret and its QR code.
func (s *Server) invitePage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	st, err := s.db.DeskInvite(r.Context(), s.opt.HashInvite(code))
	if errors.Is(err, store.ErrInviteInvalid) {
		s.say(w, r, http.StatusNotFound, "desk_invite_invalid", nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.opt.Issuer, AccountName: st.DisplayName})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.inviteForm(w, r, http.StatusOK, st, key.Secret(), "", "")
}

func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request, status int, st store.Staff, secret, login, problem string) {
	uri := "otpauth://totp/" + urlEscape(s.opt.Issuer) + ":" + urlEscape(st.DisplayName) + "?secret=" + secret + "&issuer=" + urlEscape(s.opt.Issuer)
	png, err := qrcode.Encode(uri, qrcode.Medium, 220)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := s.pageData(r, "desk_invite_title", InvitePath+r.PathValue("code"))
	for k, v := range map[string]any{
		"CSRF": s.preToken(w, r), "Name": st.DisplayName, "Role": "role_" + string(st.Role),
		"Secret": secret, "QR": template.URL(dataURL(png)), "Login": login, "Error": problem, "Code": r.PathValue("code"),
		"MinPassword": minPassword,
	} {
		data[k] = v
	}
	s.render(w, status, "invite", data)
}

// redeem creates the account: login, password twice, and a code from the
// authenticator app proving it holds the secret; it shows the recovery
// codes once.
func (s *Server) redeem(w http.ResponseWriter, r *http.Request) {
	if !s.preChecked(w, r) {
		return
	}
	ctx := r.Context()
	code := r.PathValue("code")
	hash := s.opt.HashInvite(code)
	st, err := s.db.DeskInvite(ctx, hash)
	if errors.Is(err, store.ErrInviteInvalid) {
		s.audit(ctx, 0, "desk_invite_refused", 0, "")
		s.say(w, r, http.StatusNotFound, "desk_invite_invalid", nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	login := strings.ToLower(strings.TrimSpace(r.PostFormValue("login")))
	pw, pw2 := r.PostFormValue("password"), r.PostFormValue("password2")
	secret := r.PostFormValue("secret")
	if _, err := base32Secret(secret); err != nil {
		s.say(w, r, http.StatusBadRequest, "desk_invite_bad", nil)
		return
	}
	problem := ""
	step, codeOK := totpStep(secret, r.PostFormValue("totp"), s.db.Now())
	switch {
	case !loginRe.MatchString(login):
		problem = s.tr(r, "desk_login_rule", nil)
	case !utf8.ValidString(pw) || utf8.RuneCountInString(pw) < minPassword || len(pw) > maxPassword:
		problem = s.tr(r, "desk_password_rule", map[string]any{"Min": minPassword, "Max": maxPassword})
	case pw != pw2:
		problem = s.tr(r, "desk_password_mismatch", nil)
	case !codeOK:
		problem = s.tr(r, "desk_totp_wrong", nil)
	}
	if problem != "" {
		s.inviteForm(w, r, http.StatusBadRequest, st, secret, login, problem)
		return
	}
	ph, err := hashPassword(pw)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	codes, hashes := newRecoveryCodes() // recovery.go
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		st, err = tx.RedeemDeskInvite(ctx, hash, login, ph, secret, step)
		if err != nil {
			return err
		}
		if err := tx.SetDeskRecoveryCodes(ctx, st.ID, hashes); err != nil {
			return err
		}
		if err := tx.Audit(ctx, st.ID, 0, "desk_recovery_codes_made", 0, strconv.Itoa(len(codes))); err != nil {
			return err
		}
		return tx.Audit(ctx, st.ID, 0, "desk_invite_redeemed", 0, string(st.Role))
	})
	switch {
	case errors.Is(err, store.ErrLoginTaken):
		s.inviteForm(w, r, http.StatusConflict, st, secret, login, s.tr(r, "desk_login_taken", nil))
		return
	case errors.Is(err, store.ErrInviteInvalid): // used meanwhile
		s.say(w, r, http.StatusNotFound, "desk_invite_invalid", nil)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	// The recovery codes, shown this once (a reload would post the used
	// invite again and be refused).
	data := s.pageData(r, "desk_recovery_title", "/signin")
	data["Codes"], data["Created"] = codes, true
	s.render(w, http.StatusOK, "recovery", data)
}

func base32Secret(s string) ([]byte, error) {
	if len(s) < 16 || len(s) > 64 {
		return nil, errors.New("secret length")
	}
	return base32NoPad.DecodeString(s)
}

func dataURL(png []byte) string {
	var b bytes.Buffer
	b.WriteString("data:image/png;base64,")
	b.WriteString(base64.StdEncoding.EncodeToString(png))
	return b.String()
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
