package zalo_test

import (
	"bytes"
	"cmp"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/zalo"
	"reentrybot/zalotest"
)

// padded is b grown with zeros to n bytes: a PNG stays a PNG to anyone
// who reads its first bytes (the big files are made here, not committed).
func padded(b []byte, n int) []byte {
	return append(bytes.Clone(b), make([]byte, n-len(b))...)
}

// A counsellor's photo or document reaches a Zalo person through Send as
// Zalo carries it: a PNG or JPEG up to 1 MB as an image message with the
// caption beside it, a PDF/DOC/DOCX as the caption, then the file; each
// message one of the window's free replies. What Zalo would refuse (an
// image over 1 MB, a type it does not carry) is refused before anything
// is uploaded, and so is a file outside the window, where a ZNS template
// cannot carry it. An access token Zalo refuses during the upload is
// refreshed once and the file goes.
func TestSendFile(t *testing.T) {
	png, pdf := fixture(t, "giay-to.png"), fixture(t, "don-xin-viec.pdf")
	const caption = "Anh xem giấy tờ tôi gửi nhé."
	type sent struct {
		text       string
		kind, name string // attachment; kind "" for none
		size       int
	}
	tests := []struct {
		name    string
		file    channel.File
		after   time.Duration // since the person's last message
		expire  bool          // Zalo ends the access token before the send
		text    string        // the caption; "-" for none
		buttons bool          // the message has buttons
		upMIME  string        // the upload's type when not the file's
		want    []sent
		errKind channel.ErrorKind // when no message goes
		errWhy  string
	}{
		{name: "png under 1 MB", file: channel.File{Name: "giay-to.png", MIME: "image/png", Data: png}, after: time.Hour,
			want: []sent{{caption, "image", "giay-to.png", len(png)}}},
		{name: "png of exactly 1 MiB", file: channel.File{Name: "giay-to.png", MIME: "image/png", Data: padded(png, zalo.MaxImageBytes)}, after: time.Hour,
			want: []sent{{caption, "image", "giay-to.png", zalo.MaxImageBytes}}},
		{name: "pdf: the text, then the file", file: channel.File{Name: "don-xin-viec.pdf", MIME: "application/pdf", Data: pdf}, after: 47 * time.Hour,
			want: []sent{{caption, "", "", 0}, {"", "file", "don-xin-viec.pdf", len(pdf)}}},
		{name: "docx named without extension", file: channel.File{Name: "mau-don", MIME: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Data: padded([]byte("PK\x03\x04"), 3000)}, after: time.Hour,
			want: []sent{{caption, "", "", 0}, {"", "file", "mau-don.docx", 3000}}},
		{name: "png with buttons: the image, then the text", file: channel.File{Name: "giay-to.png", MIME: "image/png", Data: png}, after: time.Hour, buttons: true,
			want: []sent{{"", "image", "giay-to.png", len(png)}, {caption, "", "", 0}}},
		{name: "pdf without a caption", file: channel.File{Name: "don-xin-viec.pdf", MIME: "application/pdf", Data: pdf}, after: time.Hour, text: "-",
			want: []sent{{"", "file", "don-xin-viec.pdf", len(pdf)}}},
		{name: "a jpeg called png", file: channel.File{Name: "anh.png", MIME: "image/png", Data: padded([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), 2000)}, after: time.Hour, upMIME: "image/jpeg",
			want: []sent{{caption, "image", "anh.jpg", 2000}}},
		{name: "png of 1.5 MB", file: channel.File{Name: "anh-lon.png", MIME: "image/png", Data: padded(png, 3<<19)}, after: time.Hour,
			errKind: channel.Permanent, errWhy: "at most 1048576"},
		{name: "a type Zalo does not carry", file: channel.File{Name: "du-lieu.json", MIME: "application/json", Data: []byte(`{"a":1}`)}, after: time.Hour,
			errKind: channel.Permanent, errWhy: "no file of type"},
		{name: "an image that is not one", file: channel.File{Name: "giay-to.png", MIME: "image/png", Data: pdf}, after: time.Hour,
			errKind: channel.Permanent, errWhy: "not a PNG or JPEG"},
		{name: "outside the 48 h window", file: channel.File{Name: "giay-to.png", MIME: "image/png", Data: png}, after: 49 * time.Hour,
			errKind: channel.NotDelivered, errWhy: "cannot go as a ZNS template"},
		{name: "access token refused during the upload", file: channel.File{Name: "giay-to.png", MIME: "image/png", Data: png}, after: time.Hour, expire: true,
			want: []sent{{caption, "image", "giay-to.png", len(png)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, rigOpts{start: time.Date(2026, 11, 16, 9, 0, 0, 0, vn)})
			// A phone and consents: a text would go as a ZNS template
			// outside the window; a file must not.
			u, _ := r.returnee("+84912345678", flows.Purposes...)
			r.clk.Advance(tt.after)
			if tt.expire {
				r.fake.ExpireAccess()
			}
			oa := r.fake.Options().OAID
			replies := func() int {
				w, err := r.db.ZaloWindows(r.ctx, oa, []string{u.ID})
				if err != nil {
					t.Fatal(err)
				}
				return w[u.ID].Replies
			}
			before, calls, repliesBefore := len(r.fake.Messages(u.ID)), len(r.fake.Calls()), replies()
			refreshed, _ := r.fake.Refreshes()

			m := channel.Message{Text: caption, File: &tt.file, Purpose: channel.PurposeCounsellor}
			if tt.text == "-" {
				m.Text = ""
			}
			if tt.buttons {
				m.Buttons = [][]channel.Button{{{Label: "Đã nhận", Data: channel.ButtonData(1, "ok")}}}
			}
			err := r.ch.Send(r.ctx, channel.Address{Channel: zalo.Name, Ref: u.ID}, m)

			got := r.fake.Messages(u.ID)[before:]
			var refused []int
			for _, c := range r.fake.Calls()[calls:] {
				if c.Error != 0 {
					refused = append(refused, c.Error)
				}
			}
			if tt.want == nil {
				var ce *channel.Error
				if !errors.As(err, &ce) || ce.Kind != tt.errKind || !strings.Contains(ce.Reason, tt.errWhy) {
					t.Fatalf("err %v; want kind %d, %q", err, tt.errKind, tt.errWhy)
				}
				if len(got) != 0 || len(r.fake.Uploads()) != 0 || len(r.fake.Calls()) != calls || replies() != repliesBefore {
					t.Fatalf("sent %+v, uploaded %+v, %d calls, replies %d→%d; want nothing", got, r.fake.Uploads(), len(r.fake.Calls())-calls, repliesBefore, replies())
				}
				return
			}
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("sent %+v; want %d messages", got, len(tt.want))
			}
			for i, w := range tt.want {
				m := got[i]
				var g sent
				g.text = m.Text
				if a := m.Attachment; a != nil {
					g.kind, g.name, g.size = a.Kind, a.Name, a.Size
				}
				if m.Kind != "cs" || g != w {
					t.Errorf("message %d: %s %+v; want a consultation message %+v", i+1, m.Kind, g, w)
				}
				if hasButtons := len(m.Buttons) > 0; hasButtons != (tt.buttons && w.text != "") {
					t.Errorf("message %d has buttons %v", i+1, m.Buttons)
				}
			}
			upMIME := cmp.Or(tt.upMIME, tt.file.MIME)
			if ups := r.fake.Uploads(); len(ups) != 1 || ups[0].MIME != upMIME {
				t.Errorf("uploads %+v; want one of type %s", ups, upMIME)
			}
			if n := replies() - repliesBefore; n != len(tt.want) {
				t.Errorf("%d free replies counted for %d messages", n, len(tt.want))
			}
			now, _ := r.fake.Refreshes()
			wantRefused := []int(nil)
			if tt.expire {
				wantRefused = []int{zalotest.ErrBadToken}
			}
			// (47 h on, the 25 h access token is refreshed ahead, as for a
			// text; only a refused token must cost exactly one refresh.)
			if !slices.Equal(refused, wantRefused) || (tt.expire && now-refreshed != 1) {
				t.Errorf("%d refreshes, the fake refused %v; want %v", now-refreshed, refused, wantRefused)
			}
		})
	}
}

// Caps says which files go as files; the rest (the /mydata JSON export)
// go as download links (file_link_test.go).
func TestCapsFiles(t *testing.T) {
	tests := []struct {
		mime string
		size int64
		want bool
	}{
		{"image/png", 1000, true},
		{"image/jpeg", 1000, true},
		{"application/pdf", zalo.MaxFileBytes, true},
		{"application/msword", 1000, true},
		{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1000, true},
		{"application/pdf", zalo.MaxFileBytes + 1, false},
		{"application/json", 1000, false},
		{"image/gif", 1000, false},
	}
	for _, tt := range tests {
		if got := zalo.Caps.CanSendFile(tt.mime, tt.size); got != tt.want {
			t.Errorf("CanSendFile(%s, %d) = %v", tt.mime, tt.size, got)
		}
	}
}

// Zalo's file servers fail (HTTP 502 on the upload): the send is
// Transient, to be tried again, and the free reply it took is given back.
func TestUploadFailureIsTransient(t *testing.T) {
	r := newRig(t, rigOpts{})
	u, _ := r.returnee("")
	target, _ := url.Parse(r.fake.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/v2.0/oa/upload/") {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(front.Close)
	o := r.fake.Options()
	ch := zalo.New(zalo.Config{AppID: o.AppID, AppSecret: o.AppSecret, OAID: o.OAID, OASecret: o.OASecret,
		APIURL: front.URL, OAuthURL: r.fake.URL, ZNSURL: r.fake.URL, Loc: vn}, r.db, testLogger())
	w, err := r.db.ZaloWindows(r.ctx, o.OAID, []string{u.ID})
	if err != nil {
		t.Fatal(err)
	}
	before := len(r.fake.Messages(u.ID))
	err = ch.Send(r.ctx, channel.Address{Channel: zalo.Name, Ref: u.ID}, channel.Message{Text: "Ảnh",
		File: &channel.File{Name: "giay-to.png", MIME: "image/png", Data: fixture(t, "giay-to.png")}, Purpose: channel.PurposeCounsellor})
	var ce *channel.Error
	if !errors.As(err, &ce) || ce.Kind != channel.Transient {
		t.Fatalf("err %v; want Transient", err)
	}
	after, err := r.db.ZaloWindows(r.ctx, o.OAID, []string{u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if after[u.ID].Replies != w[u.ID].Replies || len(r.fake.Messages(u.ID)) != before || len(r.fake.Uploads()) != 0 {
		t.Fatalf("replies %d→%d, %d messages sent, uploads %v", w[u.ID].Replies, after[u.ID].Replies, len(r.fake.Messages(u.ID))-before, r.fake.Uploads())
	}
}
