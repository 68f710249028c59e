package zalo_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
	"reentrybot/zalo"
	"reentrybot/zalotest"
)

// bindProvinceGroup makes a forum group the staff group of the whole
// province (as /setup with no commune does).
func (r *rig) bindProvinceGroup() int64 {
	r.t.Helper()
	g := r.api.NewGroup("Tổ tư vấn", true)
	if err := r.db.InTx(r.ctx, func(tx *store.Tx) error { return tx.BindGroup(r.ctx, g.ID, nil, 0) }); err != nil {
		r.t.Fatal(err)
	}
	return g.ID
}

// openCase opens a case of person waiting on the counsellors.
func (r *rig) openCase(person int64) int64 {
	r.t.Helper()
	var id int64
	if err := r.x.Get(&id, `INSERT INTO cases (person_id, kind, status, opened_at, updated_at) VALUES ($1, 'other', 'assigned', $2, $2) RETURNING id`, person, r.clk.Now()); err != nil {
		r.t.Fatal(err)
	}
	return id
}

// topicOf waits for the case's topic and returns its thread.
func (r *rig) topicOf(caseID int64) int {
	r.t.Helper()
	var thread int
	r.waitFor("the case's topic", func() bool {
		return r.x.Get(&thread, `SELECT topic_thread_id FROM cases WHERE id = $1 AND topic_thread_id IS NOT NULL`, caseID) == nil
	})
	return thread
}

// fileIn waits for a file of kind in the topic and returns it.
func (r *rig) fileIn(chat int64, thread int, kind string) botapitest.Message {
	r.t.Helper()
	var got botapitest.Message
	r.waitFor("a "+kind+" in the topic", func() bool {
		for _, m := range r.api.TopicMessages(chat, thread) {
			if m.FromBot && m.Kind == kind {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// deliver fails the test unless the webhook took the event; a file sent
// during a case gets no answer to wait for (it goes to the counsellors).
func (r *rig) deliver(d zalotest.Delivery, err error) {
	r.t.Helper()
	if err != nil || d.Status != http.StatusOK {
		r.t.Fatalf("delivery %+v: %v", d, err)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A photo or a file a returnee sends on Zalo during a case reaches the
// case's topic as the file itself (Zalo keeps it at an address of its
// servers; the relay fetches it and uploads it), after the line saying
// who sent it; once relayed, the address is forgotten.
func TestZaloFilesReachTheTopic(t *testing.T) {
	cases := []struct {
		name, kind, file, mime string
		wantKind               string // in Telegram
		wantName               string
	}{
		{"photo", "image", "giay-to.png", "image/png", "photo", ""},
		{"document", "file", "don-xin-viec.pdf", "application/pdf", "document", "don-xin-viec.pdf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOpts{sweep: 100 * time.Millisecond})
			group := r.bindProvinceGroup()
			u, person := r.returnee("+84912345678", flows.Purposes...)
			caseID := r.openCase(person)
			thread := r.topicOf(caseID)
			data := fixture(t, tc.file)
			r.deliver(r.fake.SendFile(u.ID, tc.kind, tc.file, tc.mime, data))
			got := r.fileIn(group, thread, tc.wantKind)
			if got.FileSize != len(data) {
				t.Fatalf("the topic got %d bytes, the person sent %d", got.FileSize, len(data))
			}
			if tc.wantName != "" && got.FileName != tc.wantName {
				t.Fatalf("file name %q, want %q", got.FileName, tc.wantName)
			}
			header := r.cat.T("vi", "returnee_sent", map[string]any{"ID": caseID})
			found := false
			for _, m := range r.api.TopicMessages(group, thread) {
				found = found || m.FromBot && m.Kind == "text" && m.RawText == header
			}
			if !found {
				t.Fatalf("no line saying who sent the file (%q) in the topic", header)
			}
			r.waitFor("the relayed event forgets where the file was", func() bool {
				var left int
				return r.x.Get(&left, `SELECT count(*) FROM case_events WHERE case_id = $1 AND media_ref IS NOT NULL AND relayed_at IS NOT NULL`, caseID) == nil && left == 0 &&
					r.x.Get(&left, `SELECT count(*) FROM case_events WHERE case_id = $1 AND media = $2 AND relayed_at IS NOT NULL`, caseID, tc.wantKind) == nil && left == 1
			})
		})
	}
}

// A file that is gone from Zalo's servers by the time it can be relayed
// (the case had no topic yet, and the address expired meanwhile) is named
// in the topic instead, as a sticker is: nothing waits for ever, nothing
// is lost silently.
func TestExpiredZaloFileIsNamed(t *testing.T) {
	r := newRig(t, rigOpts{sweep: 100 * time.Millisecond})
	u, person := r.returnee("+84912345678", flows.Purposes...)
	caseID := r.openCase(person) // no staff group: the event waits
	r.deliver(r.fake.SendFile(u.ID, "image", "giay-to.png", "image/png", fixture(t, "giay-to.png")))
	r.waitFor("the event waits", func() bool {
		var n int
		_ = r.x.Get(&n, `SELECT count(*) FROM case_events WHERE case_id = $1 AND media = 'photo' AND media_ref IS NOT NULL`, caseID)
		return n == 1
	})
	r.clk.Advance(8 * 24 * time.Hour) // the fake keeps a file 7 days
	group := r.bindProvinceGroup()
	thread := r.topicOf(caseID)
	named := r.cat.T("vi", "returnee_sent_elsewhere", map[string]any{"Kind": "photo"})
	r.waitFor("the photo named in the topic", func() bool {
		for _, m := range r.api.TopicMessages(group, thread) {
			if m.FromBot && m.RawText == named {
				return true
			}
		}
		return false
	})
	for _, m := range r.api.TopicMessages(group, thread) {
		if m.Kind == "photo" {
			t.Fatal("an expired file reached the topic")
		}
	}
	if r.fake.MediaFetches() == 0 {
		t.Fatal("the bot never tried to fetch the file")
	}
}

// Fetch reads only Zalo's servers (and the API's own host), and tells a
// file that cannot be had from a failure that may pass.
func TestFetchRefuses(t *testing.T) {
	r := newRig(t, rigOpts{})
	cases := []struct {
		name, ref string
	}{
		{"another host", "https://example.com/a.png"},
		{"plain http to Zalo's servers", "http://f1.zdn.vn/a.png"},
		{"credentials in the address", strings.Replace(r.fake.URL, "://", "://user:pw@", 1) + "/media/x/a.png"},
		{"not an address", "::"},
		{"unknown file on the API's host", r.fake.URL + "/media/none/a.png"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.ch.Fetch(r.ctx, tc.ref)
			ce, ok := err.(*channel.Error)
			if !ok || ce.Kind != channel.Permanent {
				t.Fatalf("Fetch(%q) = %v, want a permanent error", tc.ref, err)
			}
		})
	}
	if zalo.MaxFetchBytes < 10<<20 {
		t.Fatalf("MaxFetchBytes %d is below what Telegram takes as a photo", zalo.MaxFetchBytes)
	}
}

// counsellor binds a counsellor of the whole province through an invite
// link, as a new staff member does.
func (r *rig) counsellor(name string) botapitest.User {
	r.t.Helper()
	code, hash := bot.NewInviteCode()
	if _, err := r.db.CreateInvite(r.ctx, store.RoleCounsellor, nil, name, hash, r.clk.Now().Add(time.Hour)); err != nil {
		r.t.Fatal(err)
	}
	u := r.api.NewUser(name, "vi")
	r.api.SendText(u, "/start "+bot.InvitePrefix+code)
	r.waitFor("the counsellor bound", func() bool {
		_, ok, err := r.db.StaffByTelegram(r.ctx, u.ID)
		return err == nil && ok
	})
	return u
}

// A counsellor's photo or PDF written into the case's topic reaches the
// person on Zalo as a picture or a file (fetched from Telegram, uploaded
// to Zalo), with the line saying who sent it.
func TestCounsellorFilesReachZalo(t *testing.T) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 48, 32)), nil); err != nil {
		t.Fatal(err)
	}
	pdf := fixture(t, "don-xin-viec.pdf")
	cases := []struct {
		name, kind, file string
		data             []byte
		want             string // the attachment's kind on Zalo
	}{
		{"photo", "photo", "", jpg.Bytes(), "image"},
		{"pdf", "document", "giay-moi.pdf", pdf, "file"},
	}
	r := newRig(t, rigOpts{sweep: 100 * time.Millisecond})
	group := r.bindProvinceGroup()
	lan := r.counsellor("Lan")
	u, person := r.returnee("+84912345678", flows.Purposes...)
	thread := r.topicOf(r.openCase(person))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(r.fake.Messages(u.ID))
			r.api.SendFileIn(group, thread, lan, tc.kind, tc.file, tc.data, "")
			var got *zalotest.Upload
			r.waitFor("the file on Zalo", func() bool {
				for _, m := range r.fake.Messages(u.ID)[before:] {
					if m.Attachment != nil {
						got = m.Attachment
						return true
					}
				}
				return false
			})
			if got.Kind != tc.want || got.Size != len(tc.data) || tc.file != "" && got.Name != tc.file {
				t.Fatalf("Zalo got a %s %q of %d bytes, want a %s of %d", got.Kind, got.Name, got.Size, tc.want, len(tc.data))
			}
			said := false
			for _, m := range r.fake.Messages(u.ID)[before:] {
				said = said || strings.Contains(m.Text, "Lan")
			}
			if !said {
				t.Errorf("nothing says who sent the file: %+v", r.fake.Messages(u.ID)[before:])
			}
		})
	}
}
