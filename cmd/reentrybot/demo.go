package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"reentrybot/botapitest"
	"reentrybot/config"
	"reentrybot/demo"
)

// cmdDemo runs everything on one machine: a private PostgreSQL (unless
// DATABASE_URL is set), the test Bot API server, and the bot; then it lets
// the person at the terminal chat as a returnee.
func cmdDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flags("demo", stdout)
	script := fs.Bool("script", false, "send /start as a demo user, print the answer and exit (a smoke test)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env := func(name string) (string, bool) {
		if name == "HTTP_ADDR" || name == "METRICS_ADDR" {
			if v, ok := os.LookupEnv(name); ok {
				return v, true
			}
			return "127.0.0.1:0", true
		}
		return os.LookupEnv(name)
	}
	cfg, err := config.Load(env)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	cfg.MigrateOnStart = true // the demo's database is its own
	logPath := filepath.Join(os.TempDir(), "reentrybot-demo.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating log file: %w", err)
	}
	defer logFile.Close()
	log := newLogger(logFile, cfg)

	if cfg.DatabaseURL == "" {
		fmt.Fprintln(stdout, "Starting a private PostgreSQL, the test Bot API server and the bot…")
	}
	d, err := demo.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Stop()
	api := d.API
	fmt.Fprintf(stdout, "reentrybot demo is running.\n\n  Open the playground: %s\n\n  bot:          @%s (talking to the test Bot API server at %s)\n  database:     %s\n  health:       http://%s/healthz\n  log:          %s\n  sample data:  the %s communes, sample courses and bank days, a counsellor, a commune officer, an admin and a staff group\n",
		d.URL(), d.App.Bot.Username(), api.URL(), d.DBWhere, d.App.Addr, logPath, "99")

	user := api.NewUser("Minh", "vi")
	if *script {
		api.SendText(user, "/start")
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		msgs, err := api.WaitMessages(wctx, user.ID, 1)
		if err != nil {
			return fmt.Errorf("no answer to /start: %w", err)
		}
		fmt.Fprintf(stdout, "\n/start → %s\n", msgs[0].Text)
		return nil
	}
	fmt.Fprintln(stdout, "\nOr chat here in the terminal as Minh, a person using the bot: type a message and press Enter (try /start).")
	fmt.Fprintln(stdout, "Press a button by typing its number, share a phone with 'contact 0912345678'. Ctrl-C stops.")
	return chat(ctx, api, user, stdin, stdout)
}

// chat is a small terminal client: it prints what the bot sends the demo
// user and turns typed lines into user actions.
func chat(ctx context.Context, api *botapitest.Server, user botapitest.User, stdin io.Reader, stdout io.Writer) error {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	shown := map[int]int{} // message id → edits shown
	var last *botapitest.Message
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(stdout, "\nStopping…")
			return nil
		case <-tick.C:
			for _, m := range api.Messages(user.ID) {
				if e, ok := shown[m.ID]; ok && e == m.Edited {
					continue
				}
				shown[m.ID] = m.Edited
				printMessage(stdout, m)
				if m.Markup != nil {
					mm := m
					last = &mm
				}
			}
		case line, ok := <-lines:
			if !ok {
				<-ctx.Done() // stdin closed: keep serving until Ctrl-C
				return nil
			}
			line = strings.TrimSpace(line)
			if err := act(api, user, last, line); err != nil {
				fmt.Fprintln(stdout, "  !", err)
			}
		}
	}
}

func act(api *botapitest.Server, user botapitest.User, last *botapitest.Message, line string) error {
	if line == "" {
		return nil
	}
	// A number presses the button shown with it; any other number (a birth
	// year, a phone) is a typed answer.
	if n, err := strconv.Atoi(line); err == nil && last != nil && last.Markup != nil {
		i := 0
		for _, row := range last.Markup.InlineKeyboard {
			for _, b := range row {
				i++
				if i == n {
					_, err := api.PressButton(user, *last, b.CallbackData)
					return err
				}
			}
		}
	}
	if phone, ok := strings.CutPrefix(line, "contact "); ok {
		api.ShareContact(user, phone)
		return nil
	}
	api.SendText(user, line)
	return nil
}

func printMessage(w io.Writer, m botapitest.Message) {
	edited := ""
	if m.Edited > 0 {
		edited = " (edited)"
	}
	fmt.Fprintf(w, "\n🤖%s %s\n", edited, m.Text)
	if m.Markup != nil {
		i := 0
		for _, row := range m.Markup.InlineKeyboard {
			var labels []string
			for _, b := range row {
				i++
				labels = append(labels, fmt.Sprintf("[%d] %s", i, b.Text))
			}
			fmt.Fprintln(w, "   ", strings.Join(labels, "  "))
		}
	}
	if m.ReplyKeyboard != nil {
		fmt.Fprintln(w, "    (share-contact button: type 'contact 09…')")
	}
}
