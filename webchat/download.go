package webchat

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"reentrybot/store"
)

// DownloadPath is where a download link points: DownloadPath + token (the
// bot's Options.FileLinks is PUBLIC_URL + DownloadPath).
const DownloadPath = Path + "/dl/"

// Downloads serves the files kept behind download links: a file a
// person's channel cannot carry (a /mydata export on Zalo,
// bot/file_links.go). The token is the only key, so no session is
// needed (the person may open it in Zalo's own browser): 128 random bits,
// stored as a hash, valid for store.FileLinkTTL and store.FileLinkFetches
// fetches. It is served whether or not the web chat is on (app mounts
// it under PUBLIC_URL).
func Downloads(db *store.DB, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DownloadPath+"{token}", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		token := r.PathValue("token")
		if !wellFormedToken(token) {
			linkGone(w, http.StatusNotFound)
			return
		}
		f, err := db.FetchFileLink(r.Context(), token)
		switch {
		case errors.Is(err, store.ErrFileLinkUnknown):
			linkGone(w, http.StatusNotFound)
			return
		case errors.Is(err, store.ErrFileLinkGone):
			linkGone(w, http.StatusGone)
			return
		case err != nil:
			log.Warn("serving a linked file", "err", err)
			w.Header().Set("Retry-After", "60")
			notice(w, http.StatusServiceUnavailable, "try_later")
			return
		}
		h.Set("Content-Type", f.MIME)
		h.Set("Content-Disposition", `attachment; filename="`+safeName(f.Name)+`"`)
		h.Set("Content-Length", strconv.Itoa(len(f.Data)))
		_, _ = w.Write(f.Data)
	})
	// Anything else under the path (no token, a token with a slash).
	mux.HandleFunc(DownloadPath, func(w http.ResponseWriter, r *http.Request) { linkGone(w, http.StatusNotFound) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store") // the person's data: no proxy or browser cache keeps it
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'")
		mux.ServeHTTP(w, r)
	})
}

// wellFormedToken: store.FileTokenLen characters of unpadded base64url;
// anything else is refused without a query.
func wellFormedToken(t string) bool {
	if len(t) != store.FileTokenLen {
		return false
	}
	for _, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// linkGone is the one answer to a link that gives no file, whatever the
// reason (never was, expired, used up, erased): the same words in
// Vietnamese and English, so the page says nothing about whose the link
// was; the status tells a link known to have ended (410) from one not
// known (404).
func linkGone(w http.ResponseWriter, status int) { notice(w, status, "link_gone") }

func notice(w http.ResponseWriter, status int, key string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, "bilingual", map[string]any{"T": texts["vi"], "Lang": "vi", "VI": text("vi", key), "EN": text("en", key)})
}
