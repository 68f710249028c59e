package desk

import (
	"context"
	"html/template"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"reentrybot/announce"
	"reentrybot/i18n"
	"reentrybot/store"
)

// The desk is Vietnamese first. The sign-in, account and recovery-code
// pages (and the layout around them) also come in the catalog's other
// languages (English): the language a member picked on the desk (kept on
// their account, which every signed-in request follows, and in a cookie on
// each browser they sign in from), else
// the one the browser prefers, else Vietnamese. So do the queue and case
// pages and their live parts (live.go), the announcement pages, and the
// officers' and admins' pages: the report (its table, chart and files
// too), the audit log, staff and import.

const langCookie = "desk_lang"

// translatedPages are the pages built once per catalog language.
var translatedPages = []string{"signin", "invite", "recovery", "message", "queue", "case", "announce", "announce_form", "announce_preview",
	"report", "audit", "staff", "import"}

// funcs are the translated templates' functions in lang, as New's are
// in Vietnamese.
func (s *Server) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":           func(key string) string { return s.cat.T(lang, key, nil) },
		"tv":          s.tv(lang),
		"when":        func(t time.Time) string { return t.In(s.opt.Loc).Format("02/01/2006 15:04") },
		"canAnnounce": announce.Allowed,
	}
}

// tv renders a catalog message in lang with parameters given as name,
// value pairs: {{tv "desk_password_min" "Min" .MinPassword}}.
func (s *Server) tv(lang string) func(key string, kv ...any) string {
	return func(key string, kv ...any) string {
		params := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				params[k] = kv[i+1]
			}
		}
		return s.cat.T(lang, key, params)
	}
}

// parseTranslated builds the translated pages of every language but the
// default (whose pages are s.pages).
func (s *Server) parseTranslated() error {
	s.translated = map[string]map[string]*template.Template{}
	for _, l := range s.cat.Langs() {
		if l == i18n.Default {
			continue
		}
		s.translated[l] = map[string]*template.Template{}
		for _, p := range translatedPages {
			t, err := template.New("layout.html").Funcs(s.funcs(l)).ParseFS(files, "templates/layout.html", "templates/"+p+".html")
			if err != nil {
				return err
			}
			s.translated[l][p] = t
		}
	}
	return nil
}

var langMatcher = language.NewMatcher([]language.Tag{language.Vietnamese, language.English})

// langKey holds, in a signed-in request's context, the language kept on
// the member's account (memberLang).
type langKey struct{}

// memberLang makes a signed-in request's pages follow the language kept on
// the member's account, which they may have changed on another browser,
// and brings this browser's cookie in step (its sign-in page after signing
// out). A member who never picked one gets the browser's. A live stream
// reads the account's language itself, at each update (live.go).
func (s *Server) memberLang(w http.ResponseWriter, r *http.Request, sess store.DeskSession) *http.Request {
	l, err := s.db.DeskLanguage(r.Context(), sess.ID)
	if err != nil {
		s.log.Error("desk language", "staff", sess.ID, "err", err) // the cookie's, then
		return r
	}
	if l != "vi" && l != "en" {
		return r
	}
	if c, err := r.Cookie(langCookie); err != nil || c.Value != l {
		s.setCookie(w, r, langCookie, l, 365*24*3600)
	}
	return r.WithContext(context.WithValue(r.Context(), langKey{}, l))
}

// lang is the language of the request's pages.
func (s *Server) lang(r *http.Request) string {
	if l, ok := r.Context().Value(langKey{}).(string); ok {
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "vi" || c.Value == "en") {
		return c.Value
	}
	al := r.Header.Get("Accept-Language")
	if al == "" || len(al) > 500 {
		return i18n.Default
	}
	tags, _, err := language.ParseAcceptLanguage(al)
	if err != nil || len(tags) == 0 {
		return i18n.Default
	}
	_, i, _ := langMatcher.Match(tags...)
	if i == 1 {
		return "en"
	}
	return i18n.Default
}

// setLang keeps the language a member picked (a link on the pages) and
// goes back to the page they were on.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.PathValue("code")
	if l != "vi" && l != "en" {
		l = i18n.Default
	}
	s.setCookie(w, r, langCookie, l, 365*24*3600)
	if sess, ok := s.session(r); ok { // signed in: it follows the member
		if err := s.db.SetDeskLanguage(r.Context(), sess.ID, l); err != nil {
			s.log.Error("desk language", "err", err)
		}
	}
	to := r.URL.Query().Get("to")
	if !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") || strings.ContainsAny(to, "\\\r\n") {
		to = "/signin" // only our own pages: no open redirect
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// say is a page that only says a catalog message, in the request's
// language.
func (s *Server) say(w http.ResponseWriter, r *http.Request, status int, key string, params map[string]any) {
	s.render(w, status, "message", s.sayData(r, status, key, params))
}

// sayTo is say to a signed-in member: the page keeps their header.
func (s *Server) sayTo(w http.ResponseWriter, r *http.Request, sess store.DeskSession, status int, key string, params map[string]any) {
	data := s.sayData(r, status, key, params)
	data["Sess"] = sess
	s.render(w, status, "message", data)
}

func (s *Server) sayData(r *http.Request, status int, key string, params map[string]any) map[string]any {
	l := s.lang(r)
	return map[string]any{"Title": s.cat.T(l, "desk_name", nil), "Text": s.cat.T(l, key, params), "Lang": l, "Alert": status >= 400}
}

// tr renders a catalog message in the request's language.
func (s *Server) tr(r *http.Request, key string, params map[string]any) string {
	return s.cat.T(s.lang(r), key, params)
}

// pageData starts a translated page's data: its title, its language, and
// the path the language link comes back to.
func (s *Server) pageData(r *http.Request, titleKey, here string) map[string]any {
	l := s.lang(r)
	return map[string]any{"Title": s.cat.T(l, titleKey, nil), "Lang": l, "Here": here}
}
