package zalo

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path"
	"slices"
	"strings"

	"reentrybot/channel"
)

// Files the OA sends (a counsellor's photo or document, issue 13): Zalo
// takes a file in two steps, an upload that answers an id, then a
// consultation message naming it. What is and is not confirmed of
// Zalo's shapes (REACH.md's C/S/U):
//
//   - C (developers.zalo.me, REACH.md): images PNG/JPEG ≤ 1 MB; files
//     PDF/DOC/DOCX only, ≤ 5 MB.
//   - S (Zalo's own Java SDK samples, as copied into integrators'
//     repositories; several integrators' code agrees): POST
//     /v2.0/oa/upload/image and /v2.0/oa/upload/file, multipart field
//     "file", access_token header; an image goes as
//     {"text": …, "attachment": {"type": "template", "payload":
//     {"template_type": "media", "elements": [{"media_type": "image",
//     "attachment_id" or "url": …}]}}} to /v3.0/oa/message/cs, text
//     beside it; a file as {"attachment": {"type": "file", "payload":
//     {"token": …}}}, with no text.
//   - U (integrators' code only): the image upload answers
//     data.attachment_id and the file upload data.token (one integrator
//     sends a file's id as payload.attachment_id instead of token; we
//     follow the SDK sample); a media template with no text is accepted;
//     Zalo checks the upload's name extension (so the name always ends
//     in one that fits the type); a file name in UTF-8 (raw, as browsers
//     send it) keeps its diacritics; an uploaded image stays usable
//     "at most 7 days" (we send it at once); which error code a bad or
//     expired id draws (the fake answers -201, a Permanent).

// Zalo's limits on what the OA sends (C).
const (
	MaxImageBytes = 1 << 20
	MaxFileBytes  = 5 << 20
)

// outType is a file type Zalo carries: uploaded as kind ("image" or
// "file") up to max bytes, its name ending in one of exts.
type outType struct {
	mime, kind string
	max        int
	exts       []string
}

var outTypes = []outType{
	{"image/jpeg", "image", MaxImageBytes, []string{".jpg", ".jpeg"}},
	{"image/png", "image", MaxImageBytes, []string{".png"}},
	{"application/pdf", "file", MaxFileBytes, []string{".pdf"}},
	{"application/msword", "file", MaxFileBytes, []string{".doc"}},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "file", MaxFileBytes, []string{".docx"}},
}

func outMIMEs() []string {
	out := make([]string, len(outTypes))
	for i, t := range outTypes {
		out[i] = t.mime
	}
	return out
}

// outFile is a file checked for Zalo: its type and the name to upload.
type outFile struct {
	outType
	name string
	data []byte
}

// checkOut says whether Zalo takes f, before anything is uploaded: a
// type it refuses, an image over 1 MB (Capabilities can state only the
// 5 MB of files), an empty file or an "image" whose bytes are none is a
// Permanent *channel.Error.
func checkOut(f channel.File) (outFile, error) {
	permanent := func(why string) (outFile, error) {
		return outFile{}, &channel.Error{Kind: channel.Permanent, Reason: why}
	}
	var t outType
	for _, o := range outTypes {
		if o.mime == f.MIME {
			t = o
		}
	}
	if t.mime == "" {
		return permanent(fmt.Sprintf("Zalo carries no file of type %q (images PNG/JPEG, files PDF/DOC/DOCX)", f.MIME))
	}
	if len(f.Data) == 0 {
		return permanent("the file " + f.Name + " is empty")
	}
	if t.kind == "image" {
		// Zalo reads the bytes, not the label: a JPEG called a PNG goes as
		// the JPEG it is.
		sniffed := http.DetectContentType(f.Data)
		if sniffed != "image/png" && sniffed != "image/jpeg" {
			return permanent(fmt.Sprintf("the image %s is not a PNG or JPEG (%s)", f.Name, sniffed))
		}
		for _, o := range outTypes {
			if o.mime == sniffed {
				t = o
			}
		}
	}
	if len(f.Data) > t.max {
		return permanent(fmt.Sprintf("the %s %s has %d bytes; Zalo takes at most %d", t.kind, f.Name, len(f.Data), t.max))
	}
	return outFile{outType: t, name: uploadName(f.Name, t), data: f.Data}, nil
}

// uploadName is the file's own name without a path, ending in an
// extension of its type (Zalo goes by it).
func uploadName(name string, t outType) string {
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, `\`, "/")))
	if name == "." || name == "/" {
		name = ""
	}
	ext := strings.ToLower(path.Ext(name))
	for _, e := range t.exts {
		if ext == e {
			return name
		}
	}
	for _, o := range outTypes { // a JPEG named .png: its own extension
		if slices.Contains(o.exts, ext) {
			name = strings.TrimSuffix(name, path.Ext(name))
		}
	}
	if name == "" {
		name = "tep"
	}
	return name + t.exts[0]
}

// upload puts f on Zalo's servers and returns what a message names it
// by: an image's attachment_id, a file's token. It goes through authed,
// so a refused access token is refreshed and the upload made again.
func (c *Channel) upload(ctx context.Context, f outFile) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", f.name))
	h.Set("Content-Type", f.mime)
	pw, err := mw.CreatePart(h)
	if err != nil {
		return "", err
	}
	if _, err := pw.Write(f.data); err != nil {
		return "", err
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	u := c.cfg.APIURL + "/v2.0/oa/upload/" + f.kind
	var out struct {
		AttachmentID string `json:"attachment_id"`
		Token        string `json:"token"`
	}
	err = c.authed(ctx, func(tok string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body.Bytes()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("access_token", tok)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return req, nil
	}, &out)
	if err != nil {
		return "", err
	}
	id := out.Token
	if f.kind == "image" {
		id = out.AttachmentID
	}
	if id == "" {
		return "", &channel.Error{Kind: channel.Permanent, Reason: "Zalo answered the " + f.kind + " upload with no id"}
	}
	return id, nil
}

// fileParts are the cs bodies of m carrying the uploaded file id: an
// image goes with the text beside it (alone before the text when the
// text has buttons, which a media template cannot hold); a file, which
// carries no text, goes after the text. The share-phone card stays last.
func (c *Channel) fileParts(m channel.Message, f outFile, id string) []map[string]any {
	parts := c.consultation(m)
	first := parts[0]["message"].(map[string]any)
	_, buttons := first["attachment"]
	if m.Text == "" {
		delete(first, "text")
	}
	var att map[string]any
	if f.kind == "image" {
		att = map[string]any{"type": "template", "payload": map[string]any{
			"template_type": "media",
			"elements":      []map[string]string{{"media_type": "image", "attachment_id": id}},
		}}
		if !buttons {
			first["attachment"] = att
			return parts
		}
	} else {
		att = map[string]any{"type": "file", "payload": map[string]string{"token": id}}
		if !buttons && m.Text == "" {
			first["attachment"] = att
			return parts
		}
	}
	alone := map[string]any{"message": map[string]any{"attachment": att}}
	at := 0 // an image before its text
	if f.kind == "file" {
		at = 1
	}
	return append(parts[:at], append([]map[string]any{alone}, parts[at:]...)...)
}

// sendFile sends a message that carries a file, inside Zalo's window
// only: a ZNS template carries no file, so outside the window (or with
// the window's free replies spent) it is channel.NotDelivered, and
// nothing is uploaded. The window is counted as for a text, one reply a
// message (a file after its text is two).
func (c *Channel) sendFile(ctx context.Context, to channel.Address, m channel.Message) error {
	f, err := checkOut(*m.File)
	if err != nil {
		return err
	}
	n := len(c.fileParts(m, f, ""))
	took, err := c.db.TakeZaloReply(ctx, c.cfg.OAID, to.Ref, c.now().Add(-c.cfg.FreeWindow), c.cfg.MaxFreeReplies-n+1)
	if err != nil {
		return &channel.Error{Kind: channel.Transient, Reason: err.Error()}
	}
	const outside = "outside Zalo's window (or its free replies are spent), and a file cannot go as a ZNS template"
	if !took {
		return &channel.Error{Kind: channel.NotDelivered, Reason: outside}
	}
	id, err := c.upload(ctx, f)
	if err != nil {
		if gerr := c.db.GiveBackZaloReply(ctx, c.cfg.OAID, to.Ref); gerr != nil {
			c.log.Warn("zalo: giving back a reply", "err", gerr)
		}
		return channelError(err)
	}
	fallback, err := c.sendConsultation(ctx, to, m, c.fileParts(m, f, id))
	if fallback {
		return &channel.Error{Kind: channel.NotDelivered, Reason: outside + " (by Zalo's clock)"}
	}
	if err == nil {
		c.log.Info("zalo: sent a file", "to", to.Ref, "kind", f.kind, "bytes", len(f.data))
	}
	return err
}
