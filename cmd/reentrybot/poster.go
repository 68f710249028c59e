package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/poster"
	"reentrybot/store"
)

var posterCommand = command{"poster", "poster --commune CODE | --all [--out DIR]",
	"write the A4 poster (PDF) for a commune office: what the service does, QR codes of the web chat and the messengers carrying the commune, the Centre's phone",
	cmdPoster}

func cmdPoster(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("poster", stdout)
	code := fs.String("commune", "", "the commune's official code (reentrybot export communes lists them)")
	all := fs.Bool("all", false, "one poster per active commune")
	out := fs.String("out", ".", "directory the PDF files are written to (poster-CODE.pdf)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*code == "") == !*all || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("say --commune CODE or --all")
	}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// Check the settings before any work: a poster needs both.
	if err := poster.Check(cfg.Reach); err != nil {
		return err
	}
	bot := cfg.Reach.TelegramBot
	if bot == "" && cfg.TelegramToken != "" {
		if bot, err = botUsername(ctx, cfg); err != nil {
			return err
		}
	}
	if bot == "" {
		fmt.Fprintln(stdout, "no Telegram code: set TELEGRAM_BOT_USERNAME (or TELEGRAM_BOT_TOKEN) to print one")
	}
	communes, err := postersFor(ctx, db, *code)
	if err != nil {
		return err
	}
	cat, err := i18n.Load(nil)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	made := db.Now()
	// A poster is CPU work (fonts parsed and compressed each time): one
	// worker per core makes --all a few times faster.
	paths := make([]string, len(communes))
	errs := make([]error, len(communes))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(communes)) {
		wg.Go(func() {
			for i := range next {
				c := communes[i]
				p, err := poster.For(cfg.Reach, bot, c, made)
				if err == nil {
					paths[i] = filepath.Join(*out, poster.FileName(c))
					err = writePoster(paths[i], cat, p)
				}
				errs[i] = err
			}
		})
	}
	for i := range communes {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return err
	}
	for i, c := range communes {
		fmt.Fprintf(stdout, "%s  %s\n", paths[i], poster.CommuneLabel(c))
	}
	fmt.Fprintf(stdout, "%d poster(s) in %s\n", len(communes), *out)
	return nil
}

// postersFor is the one commune asked for, or every active one.
func postersFor(ctx context.Context, db *store.DB, code string) ([]flows.Commune, error) {
	var out []flows.Commune
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if code != "" {
			c, err := tx.Commune(ctx, code)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no commune with code %q (reentrybot export communes lists them)", code)
			}
			if err == nil && !c.Active {
				err = fmt.Errorf("commune %s (%s) is retired", c.Code, c.Name)
			}
			out = append(out, c)
			return err
		}
		cs, err := tx.AllCommunes(ctx)
		for _, c := range cs {
			if c.Active {
				out = append(out, c)
			}
		}
		return err
	})
	if err == nil && len(out) == 0 {
		err = errors.New("no communes in the database: run reentrybot import communes first")
	}
	return out, err
}

// writePoster writes through a temporary file, so a stopped run never
// leaves half a PDF under the final name.
func writePoster(path string, cat *i18n.Catalog, p poster.Poster) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".poster-*.pdf")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = poster.Write(f, cat, p); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
