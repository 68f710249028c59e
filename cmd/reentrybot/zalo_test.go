package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/dbtest"
	"reentrybot/zalotest"
)

// `reentrybot zalo connect` against the fake OA: the printed link leads
// through Zalo's consent page back to the command, which trades the code
// and its PKCE verifier for the first pair and stores it. A redirect that
// is not the answer to the printed link is refused.
func TestZaloConnect(t *testing.T) {
	fake := zalotest.New(zalotest.Options{})
	defer fake.Close()
	o := fake.Options()
	url := dbtest.URL(t)
	for k, v := range map[string]string{
		"DATABASE_URL": url, "ZALO_OA_ID": o.OAID, "ZALO_APP_ID": o.AppID, "ZALO_APP_SECRET": o.AppSecret, "ZALO_OA_SECRET": o.OASecret,
		"ZALO_API_URL": fake.URL, "ZALO_OAUTH_URL": fake.URL, "ZALO_ZNS_URL": fake.URL,
	} {
		t.Setenv(k, v)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- cmdZalo(ctx, []string{"connect", "--listen", "127.0.0.1:0", "--timeout", "20s"}, nil, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var link string
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "http") {
			link = sc.Text()
			break
		}
	}
	if link == "" {
		t.Fatal("no link printed")
	}
	// A forged redirect to the command's listener, without the state.
	cb := strings.Split(strings.Split(link, "redirect_uri=")[1], "&")[0]
	cb = strings.NewReplacer("%3A", ":", "%2F", "/").Replace(cb)
	if resp, err := http.Get(cb + "?code=forged&state=wrong"); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged redirect: %v %v", resp, err)
	}
	resp, err := http.Get(link) // the admin allows access; Zalo redirects back
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("consent: %v %v", resp, err)
	}
	go io.Copy(io.Discard, pr)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	x, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var n int
	if err := x.Get(&n, `SELECT count(*) FROM zalo_tokens WHERE oa_id = $1 AND needs_admin IS NULL AND access_token <> ''`, o.OAID); err != nil || n != 1 {
		t.Fatalf("%d token rows (%v)", n, err)
	}
}
