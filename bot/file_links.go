package bot

import (
	"context"
	"strings"
	"time"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
)

// linkFile is what goes instead of a reply's file on a channel that
// cannot carry it (Zalo takes only PDF/DOC/DOCX, so not a /mydata
// export): the file is kept behind an expiring download link
// (store.AddFileLink, served by webchat) and the person gets the caption
// with the link, in one message (on Zalo each message spends one of the
// few free replies of the window). Without a public address there is no
// link: they are told where else to get the file, never left without a
// word.
func (b *Bot) linkFile(ctx context.Context, tx *store.Tx, personID int64, caps channel.Capabilities, lang string, f *flows.Attachment) ([]channel.Message, error) {
	note := b.cat.T(lang, "file_link_none", nil)
	if base := b.opts.FileLinks; base != "" {
		token, err := tx.AddFileLink(ctx, personID, store.LinkedFile{Name: f.Name, MIME: f.MIME, Data: f.Data})
		if err != nil {
			return nil, err
		}
		note = b.cat.T(lang, "file_link", channel.EscapeParams(map[string]any{
			"URL": base + token, "Hours": int(store.FileLinkTTL.Hours()), "Times": store.FileLinkFetches}))
	}
	text := b.cat.T(lang, f.Caption, channel.EscapeParams(f.CaptionParams)) + "\n\n" + note
	if caps.Markup == channel.MarkupNone {
		text = channel.PlainText(text)
	}
	var msgs []channel.Message
	for _, p := range channel.Split(strings.TrimSpace(text), caps) {
		msgs = append(msgs, channel.Message{Text: p})
	}
	return msgs, nil
}

// Expired linked files go within the hour; a link is refused from its
// expiry on anyway (store.FetchFileLink), so this only bounds how long
// the data stays at rest.
func init() {
	RegisterJob("file_links", time.Hour, func(ctx context.Context, b *Bot) error {
		_, err := b.db.PruneFileLinks(ctx)
		return err
	})
}
