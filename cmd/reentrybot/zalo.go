package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"reentrybot/app"
	"reentrybot/zalo"
)

var zaloCommand = command{"zalo", "zalo connect [--listen ADDR] [--redirect URL]",
	"connect the Zalo OA once (OAuth v4 with PKCE): open the printed link as the OA's admin", cmdZalo}

// cmdZalo is `reentrybot zalo connect`: it prints Zalo's consent page for
// the OA's admin, takes the code Zalo redirects back with on a local
// listener, trades it (with the PKCE verifier) for the first token pair
// and stores it; the bot refreshes it from then on. Run it again after
// the staff group is told the OA needs an admin.
func cmdZalo(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "connect" {
		fmt.Fprintln(stdout, "Usage: reentrybot zalo connect [--listen 127.0.0.1:8765] [--redirect URL] [--timeout 10m]\n\n"+
			"  prints a link for the OA's admin; Zalo sends them back to --redirect (the app's callback URL\n"+
			"  registered at developers.zalo.me, which must reach --listen, e.g. through an SSH tunnel)")
		return errors.New("say connect")
	}
	fs := flags("zalo", stdout)
	listen := fs.String("listen", "127.0.0.1:8765", "where to take Zalo's redirect")
	redirect := fs.String("redirect", "", "the app's callback URL as registered with Zalo (default http://LISTEN/zalo/callback)")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the admin")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ch := app.ZaloChannel(cfg, db, log, nil)
	if ch == nil {
		return errors.New("ZALO_OA_ID: is required (and ZALO_APP_ID, ZALO_APP_SECRET, ZALO_OA_SECRET)")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", *listen, err)
	}
	if *redirect == "" {
		*redirect = "http://" + ln.Addr().String() + "/zalo/callback"
	}
	p, err := zalo.NewPKCE()
	if err != nil {
		return err
	}
	codes := make(chan string, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != p.State || q.Get("code") == "" {
			http.Error(w, "this is not the answer to the link reentrybot printed", http.StatusBadRequest)
			return
		}
		if q.Get("oa_id") != "" && q.Get("oa_id") != cfg.Zalo.OAID {
			http.Error(w, "the access was granted for OA "+q.Get("oa_id")+", not ZALO_OA_ID "+cfg.Zalo.OAID, http.StatusBadRequest)
			return
		}
		select {
		case codes <- q.Get("code"):
			fmt.Fprintln(w, "Đã nhận. Bạn có thể đóng trang này. / Received; you may close this page.")
		default:
			http.Error(w, "already connected", http.StatusConflict)
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(stdout, "Open this link as the admin of OA %s and allow access:\n%s\n", cfg.Zalo.OAID, ch.PermissionURL(p, *redirect))
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	select {
	case <-wctx.Done():
		return fmt.Errorf("no answer from Zalo within %s", *timeout)
	case code := <-codes:
		if err := ch.Connect(ctx, p, code); err != nil {
			return err
		}
	}
	t, _, err := db.ZaloToken(ctx, cfg.Zalo.OAID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Connected: OA %s, token valid until %s; the bot refreshes it from now on.\n", cfg.Zalo.OAID, t.AccessExpiresAt.In(cfg.TimeZone).Format("2006-01-02 15:04"))
	return nil
}
