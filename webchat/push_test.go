package webchat_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"reentrybot/store"
)

// pushService is a local Web Push service (RFC 8030) holding one test
// subscription's keys: it checks each notification's VAPID signature
// (RFC 8292) and decrypts its content (RFC 8291), as a browser's push
// service and the browser would.
type pushService struct {
	t      *testing.T
	srv    *httptest.Server
	ua     *ecdh.PrivateKey // the browser's key pair
	auth   []byte           // the subscription's auth secret
	vapid  *ecdsa.PublicKey // the server's, as stored at first start
	gotten chan pushed
}

type pushed struct {
	plain  []byte
	header http.Header
	err    error
}

func newPushService(t *testing.T, vapidPublic string) *pushService {
	t.Helper()
	ua, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(vapidPublic)
	if err != nil {
		t.Fatalf("VAPID public key %q: %v", vapidPublic, err)
	}
	vk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatalf("VAPID public key: %v", err)
	}
	p := &pushService{t: t, ua: ua, auth: make([]byte, 16), vapid: vk, gotten: make(chan pushed, 10)}
	_, _ = rand.Read(p.auth)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		plain, err := p.check(r, body)
		p.gotten <- pushed{plain: plain, header: r.Header.Clone(), err: err}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pushService) subscription() store.WebPush {
	return store.WebPush{
		Endpoint: p.srv.URL + "/push/abc123",
		P256dh:   base64.RawURLEncoding.EncodeToString(p.ua.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(p.auth),
	}
}

// check verifies the VAPID header and decrypts the aes128gcm body.
func (p *pushService) check(r *http.Request, body []byte) ([]byte, error) {
	if r.Header.Get("Content-Encoding") != "aes128gcm" || r.Header.Get("TTL") == "" {
		return nil, fmt.Errorf("headers %v", r.Header)
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "vapid ") {
		return nil, fmt.Errorf("authorization %q", auth)
	}
	var token, k string
	for _, part := range strings.Split(strings.TrimPrefix(auth, "vapid "), ",") {
		kv := strings.SplitN(strings.TrimSpace(part), "=", 2)
		if len(kv) == 2 && kv[0] == "t" {
			token = kv[1]
		}
		if len(kv) == 2 && kv[0] == "k" {
			k = kv[1]
		}
	}
	kb, err := base64.RawURLEncoding.DecodeString(k)
	if err != nil || !bytes.Equal(kb, elliptic.Marshal(elliptic.P256(), p.vapid.X, p.vapid.Y)) { //nolint:staticcheck // comparing bytes
		return nil, errors.New("k is not the server's VAPID key")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, errors.New("bad signature encoding")
	}
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(p.vapid, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, errors.New("VAPID signature does not verify")
	}
	claimsRaw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Aud string `json:"aud"`
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if err := json.Unmarshal(claimsRaw, &claims); err != nil || claims.Aud != p.srv.URL || !strings.HasPrefix(claims.Sub, "mailto:") || claims.Exp == 0 {
		return nil, fmt.Errorf("claims %s", claimsRaw)
	}
	// RFC 8188/8291: salt(16) rs(4) idlen(1) keyid(the server's one-time key) ciphertext.
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("bad header")
	}
	asPub, err := ecdh.P256().NewPublicKey(body[21 : 21+idlen])
	if err != nil {
		return nil, err
	}
	secret, err := p.ua.ECDH(asPub)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(p.ua.PublicKey().Bytes()) + string(asPub.Bytes())
	ikm, err := hkdf.Key(sha256.New, secret, p.auth, info, 32)
	if err != nil {
		return nil, err
	}
	cek, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, nonce, body[21+idlen:], nil)
	if err != nil {
		return nil, fmt.Errorf("decrypting: %w", err)
	}
	// The last record ends with the delimiter 2, then zero padding.
	end := bytes.LastIndexFunc(plain, func(r rune) bool { return r != 0 })
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}

// When a counsellor answers a person who has left the page, the person's
// subscribed browser gets a notification through its push service:
// signed with the server's VAPID key, encrypted for the subscription, and
// saying nothing of who wrote or what.
func TestCounsellorAnswerPushes(t *testing.T) {
	e := start(t, nil)
	var vapidPublic string
	if err := e.d.App.DB.X.Get(&vapidPublic, `SELECT public_key FROM webchat_vapid`); err != nil {
		t.Fatalf("no VAPID keys stored at first start: %v", err)
	}
	ps := newPushService(t, vapidPublic)

	w := e.newPerson("07840")
	name, phone := "Nguyễn Văn Minh", "0912345678"
	w.jobNeeds(name, phone)
	var ref string
	if err := e.d.App.DB.X.Get(&ref, `SELECT ref FROM webchat_people`); err != nil {
		t.Fatal(err)
	}
	// The page's script posts the subscription to /chat/push, which takes
	// only the browsers' push services (TestGuards); this
	// one is local, so it is stored directly.
	if err := e.d.App.DB.SaveWebPush(e.ctx, ref, ps.subscription()); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-ps.gotten:
		t.Fatalf("a notification before any answer: %s", p.plain)
	default:
	}

	answer := "Chào anh Minh, KCN Quế Võ đang tuyển công nhân may, sáng thứ Hai anh qua Trung tâm nhé."
	if card := e.answerInTopic(answer); !strings.Contains(card, "Kênh: trang web chat") {
		t.Errorf("the case's card does not say the person is on the web chat:\n%s", card)
	}
	var p pushed
	select {
	case p = <-ps.gotten:
	case <-time.After(20 * time.Second):
		t.Fatalf("no notification after the counsellor's answer\n%s", e.logs.Tail(30))
	}
	if p.err != nil {
		t.Fatalf("the notification does not check: %v", p.err)
	}
	var content map[string]string
	if err := json.Unmarshal(p.plain, &content); err != nil {
		t.Fatalf("content %q: %v", p.plain, err)
	}
	if content["title"] == "" {
		t.Errorf("content %q has no title", p.plain)
	}
	for _, personal := range []string{"Minh", "Nguyễn", phone, "912345678", "Quế Võ", "Lan", "07840", "Hiệp Hòa", ref} {
		if strings.Contains(string(p.plain), personal) {
			t.Errorf("the notification holds %q: %s", personal, p.plain)
		}
	}
	// The answer waits in the outbox for the person's return.
	w.read(0)
	found := false
	for _, m := range w.msgs {
		found = found || strings.Contains(m.Text, answer)
	}
	if !found {
		t.Errorf("the counsellor's answer is not on the page: %+v", w.tail(2))
	}
	e.d.App.WebChat.Wait()
	select {
	case p := <-ps.gotten:
		t.Errorf("a second notification for one answer: %s", p.plain)
	default:
	}
}

// A counsellor's photo or PDF in the case's topic reaches a person on the
// web chat as a file to download (fetched from Telegram), after the line
// saying who sent it; a sticker is only named.
func TestCounsellorFileReachesThePage(t *testing.T) {
	e := start(t, nil)
	w := e.newPerson("07840")
	w.jobNeeds("Nguyễn Văn Minh", "0912345678")
	card := e.takeInTopic()
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	e.d.API.SendFileIn(e.d.Group.ID, card.ThreadID, e.d.Counsellor, "document", "giay-moi.pdf", pdf, "Giấy mời phỏng vấn")
	var file msg
	e.waitFor("the file on the page", func() bool {
		for _, m := range w.read(0) {
			if m.File != "" {
				file = m
				return true
			}
		}
		return false
	})
	if file.Name != "giay-moi.pdf" || !strings.Contains(file.Text, "Giấy mời phỏng vấn") {
		t.Errorf("file %q with caption %q", file.Name, file.Text)
	}
	resp, err := w.c.Get(e.base + file.File)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, pdf) || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %s %q, %d bytes, want the counsellor's %d", resp.Status, resp.Header.Get("Content-Type"), len(got), len(pdf))
	}
}
