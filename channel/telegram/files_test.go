package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
)

// A file a person (or a counsellor) sent is fetched by its file_id:
// getFile, then the file server; what cannot be had is permanent.
func TestFetch(t *testing.T) {
	srv, ch, _ := newChannel(t)
	u := srv.NewUser("Lan", "vi")
	var photo bytes.Buffer
	if err := jpeg.Encode(&photo, image.NewGray(image.Rect(0, 0, 32, 24)), nil); err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	sent := func(kind, name string, data []byte) *models.Message {
		t.Helper()
		srv.SendFileIn(u.ID, 0, u, kind, name, data, "")
		ms := srv.History(u.ID)
		last := ms[len(ms)-1]
		m := &models.Message{}
		if kind == "photo" {
			m.Photo = []models.PhotoSize{{FileID: last.FileID + "-s"}, {FileID: last.FileID}}
		} else {
			m.Document = &models.Document{FileID: last.FileID, FileName: name}
		}
		return m
	}
	tests := []struct {
		name, kind, file string
		data             []byte
		wantMIME         string
	}{
		{"photo", "photo", "", photo.Bytes(), "image/jpeg"},
		{"document", "document", "don.pdf", pdf, "application/pdf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, name, ok := telegram.FileOf(sent(tc.kind, tc.file, tc.data))
			if !ok || name != tc.file {
				t.Fatalf("FileOf: %q %q %v", id, name, ok)
			}
			f, err := ch.Fetch(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.Data, tc.data) || f.MIME != tc.wantMIME {
				t.Fatalf("fetched %d bytes of %s, want %d of %s", len(f.Data), f.MIME, len(tc.data), tc.wantMIME)
			}
		})
	}
	t.Run("unknown file_id", func(t *testing.T) {
		_, err := ch.Fetch(context.Background(), "no-such-file")
		var ce *channel.Error
		if !errors.As(err, &ce) || ce.Kind != channel.Permanent {
			t.Fatalf("Fetch of an unknown file: %v", err)
		}
	})
	if _, _, ok := telegram.FileOf(&models.Message{Sticker: &models.Sticker{FileID: "x"}}); ok {
		t.Fatal("a sticker is passed on as a file")
	}
}
