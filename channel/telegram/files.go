package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
)

// MaxFetch is the largest file the Bot API lets a bot download.
const MaxFetch = 20 << 20

// FileOf is the file a message carries that can be handed to another
// messenger: a photo (its largest size) or a document, with the
// document's name. ok is false for anything else (a sticker, a voice
// message: named, not passed on).
func FileOf(m *models.Message) (fileID, name string, ok bool) {
	switch {
	case m == nil:
	case len(m.Photo) > 0:
		return m.Photo[len(m.Photo)-1].FileID, "", true
	case m.Document != nil:
		return m.Document.FileID, m.Document.FileName, true
	}
	return "", "", false
}

// Fetch downloads a file by its file_id (getFile, then the file server).
// A file Telegram will not hand over (unknown, over 20 MB) is a Permanent
// *channel.Error; a failure that may pass is Transient.
func (c *Channel) Fetch(ctx context.Context, fileID string) (channel.File, error) {
	permanent := func(why string) (channel.File, error) {
		return channel.File{}, &channel.Error{Kind: channel.Permanent, Reason: why}
	}
	f, err := c.api.GetFile(ctx, &tg.GetFileParams{FileID: fileID})
	switch {
	case errors.Is(err, tg.ErrorBadRequest):
		return permanent("getFile: " + err.Error())
	case err != nil:
		return channel.File{}, &channel.Error{Kind: channel.Transient, Reason: "getFile: " + err.Error()}
	case f.FileSize > MaxFetch:
		return permanent(fmt.Sprintf("the file has %d bytes, over %d", f.FileSize, MaxFetch))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api.FileDownloadLink(f), nil)
	if err != nil {
		return permanent(err.Error())
	}
	resp, err := c.client.Do(req)
	if err != nil {
		// The link carries the token: say nothing of it.
		return channel.File{}, &channel.Error{Kind: channel.Transient, Reason: "downloading a file failed"}
	}
	defer resp.Body.Close()
	data, err := channel.ReadDownload(resp, MaxFetch)
	if err != nil {
		return channel.File{}, err
	}
	name := path.Base(f.FilePath)
	if !strings.Contains(name, ".") {
		name = "file"
	}
	return channel.File{Name: name, MIME: http.DetectContentType(data), Data: data}, nil
}
