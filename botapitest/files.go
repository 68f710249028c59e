package botapitest

import (
	"context"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"
)

// maxGetFile is the largest file getFile hands to a bot (Bot API: "bots
// can download files of up to 20MB in size").
const maxGetFile = 20 << 20

// getFile answers a known file_id with its download path; the content is
// served for files a test user sent with SendFileIn (download).
func (s *Server) getFile(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := p.str("file_id")
	f, ok := s.files[id]
	switch {
	case !ok:
		return nil, badRequest("invalid file_id")
	case f.size > maxGetFile:
		return nil, badRequest("file is too big")
	}
	ext := path.Ext(f.name)
	if ext == "" && f.kind == "photo" {
		ext = ".jpg"
	}
	return models.File{FileID: id, FileUniqueID: "u" + id, FileSize: int64(f.size), FilePath: f.kind + "s/" + id + ext}, nil
}

// download serves /file/bot<token>/<file_path> as Telegram's file server
// does: the bot's token, then a path getFile gave.
func (s *Server) download(w http.ResponseWriter, rest string) {
	token, filePath, ok := strings.Cut(rest, "/")
	if !ok || token != s.cfg.token {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	id := strings.TrimSuffix(path.Base(filePath), path.Ext(filePath))
	s.mu.Lock()
	f, known := s.files[id]
	s.mu.Unlock()
	if !known || f.data == nil || !strings.HasPrefix(filePath, f.kind+"s/") {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(f.data)
}
