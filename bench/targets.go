package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/app"
	"reentrybot/bot"
	"reentrybot/channel/telegram"
	"reentrybot/config"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// FastLimits are the sender's limits raised far above Telegram's, for
// measuring the bot rather than the pacing.
func FastLimits() telegram.Limits {
	l := telegram.DefaultLimits(1e6)
	l.Burst = 1e6
	l.PerChatSecond, l.PerChatBurst = 1e6, 1000
	l.PerGroupMinute, l.GroupBurst = 1e6, 1000
	l.BaseBackoff = 50 * time.Millisecond
	return l
}

// Tuning changes what production does, to measure a proposed change
// without making it. The zero value is the bot as app.Start wires it.
type Tuning struct {
	// IdleConns sets the database pool's idle connections (store.Open
	// keeps 20 of at most 40 open: under load the rest are closed and
	// opened again, a new server process each time).
	IdleConns int
	// HTTPIdlePerHost sets idle connections kept per host by the Bot API
	// client (Go's default transport keeps 2: under load the rest are
	// closed and dialled again).
	HTTPIdlePerHost int
	// BinaryParameters adds binary_parameters=yes to the database URL:
	// lib/pq then sends a query with arguments in one round trip instead
	// of two (prepare, then execute).
	BinaryParameters bool
	Workers          int // chats handled at once; the default when 0
}

// ParseTuning reads a comma-separated list: idle, http, binary,
// workers=N; "all" is idle and http. (binary breaks the bot as it
// stands: lib/pq then sends a []byte argument in binary, which jsonb
// columns refuse; store passes the conversation data as []byte.)
func ParseTuning(s string) (Tuning, error) {
	var t Tuning
	for _, f := range strings.Split(s, ",") {
		switch f = strings.TrimSpace(f); {
		case f == "":
		case f == "all":
			t.IdleConns, t.HTTPIdlePerHost = 40, 512
		case f == "idle":
			t.IdleConns = 40
		case f == "http":
			t.HTTPIdlePerHost = 512
		case f == "binary":
			t.BinaryParameters = true
		case strings.HasPrefix(f, "workers="):
			n, err := strconv.Atoi(strings.TrimPrefix(f, "workers="))
			if err != nil || n < 1 {
				return t, fmt.Errorf("bench: tuning %q", f)
			}
			t.Workers = n
		default:
			return t, fmt.Errorf("bench: unknown tuning %q (idle, http, binary, workers=N, all)", f)
		}
	}
	return t, nil
}

func (t Tuning) String() string {
	var parts []string
	if t.IdleConns > 0 {
		parts = append(parts, "idle="+strconv.Itoa(t.IdleConns))
	}
	if t.HTTPIdlePerHost > 0 {
		parts = append(parts, "http="+strconv.Itoa(t.HTTPIdlePerHost))
	}
	if t.BinaryParameters {
		parts = append(parts, "binary")
	}
	if t.Workers > 0 {
		parts = append(parts, "workers="+strconv.Itoa(t.Workers))
	}
	if len(parts) == 0 {
		return "as shipped"
	}
	return strings.Join(parts, ",")
}

// StartBot runs the bot in this process against the Env: see RunBot.
func StartBot(ctx context.Context, e *Env, limits telegram.Limits, tune Tuning, log *slog.Logger) (stop func(), err error) {
	return RunBot(ctx, e.DBURL, e.URL, e.Token(), limits, tune, log)
}

// RunBot runs the bot in this process, wired as app.Start wires it but
// with the sender's limits given (FastLimits for the benchmarks) and the
// tuning, without the HTTP server. stop ends it and closes its pool.
func RunBot(ctx context.Context, dbURL, apiURL, token string, limits telegram.Limits, tune Tuning, log *slog.Logger) (stop func(), err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if tune.BinaryParameters {
		if strings.Contains(dbURL, "?") {
			dbURL += "&binary_parameters=yes"
		} else {
			dbURL += "?binary_parameters=yes"
		}
	}
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	if tune.IdleConns > 0 {
		db.X.SetMaxIdleConns(tune.IdleConns)
	}
	cat, err := i18n.Load(log)
	if err != nil {
		db.Close()
		return nil, err
	}
	engine := flows.NewEngine(time.Now, flows.WithCatalog(cat))
	o := bot.Options{Token: token, APIURL: apiURL, Limits: limits, Workers: tune.Workers}
	if tune.HTTPIdlePerHost > 0 {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = tune.HTTPIdlePerHost, tune.HTTPIdlePerHost
		o.HTTPClient = &http.Client{Timeout: 40 * time.Second, Transport: tr} // as bot.New's: poll wait + 15 s
	}
	b, err := bot.New(ctx, o, db, engine, cat, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.Run(rctx); err != nil {
			log.Error("bot stopped", "err", err)
		}
	}()
	return func() { cancel(); <-done; db.Close() }, nil
}

// echoKeyboard has the shape of the bot's trade question: ten trade
// buttons in pairs, done, and back, cancel and help. It goes out as JSON
// written here: go-telegram/bot's own button type always carries an empty
// copy_text, which the strict test server refuses (a button has exactly
// one kind), as the bot's wireMarkup avoids too.
var echoKeyboard = func() json.RawMessage {
	type button struct {
		Text         string `json:"text"`
		CallbackData string `json:"callback_data"`
	}
	var rows [][]button
	for i := 0; i < len(trades); i += 2 {
		rows = append(rows, []button{{trades[i], "t:" + trades[i]}, {trades[i+1], "t:" + trades[i+1]}})
	}
	rows = append(rows, []button{{"done", "done"}}, []button{{"back", "back"}, {"cancel", "cancel"}, {"help", "help"}})
	raw, err := json.Marshal(map[string]any{"inline_keyboard": rows})
	if err != nil {
		panic(err)
	}
	return raw
}()

// StartEcho runs the baseline: a bare go-telegram/bot bot with its own
// long polling (bot.Start) and asynchronous handlers, no database. It
// answers a message with its text, and a button press with
// answerCallbackQuery and a message holding the button's data, each
// message in HTML with the keyboard of the bot's trade question, so the
// load and the server's work match the bot's.
func StartEcho(ctx context.Context, e *Env) (stop func(), err error) {
	send := func(ctx context.Context, b *tg.Bot, chat int64, text string) {
		_, _ = b.SendMessage(ctx, &tg.SendMessageParams{
			ChatID: chat, Text: html.EscapeString(text), ParseMode: models.ParseModeHTML, ReplyMarkup: echoKeyboard,
		})
	}
	b, err := tg.New(e.Token(),
		tg.WithServerURL(e.URL),
		tg.WithSkipGetMe(),
		tg.WithErrorsHandler(func(error) {}),
		tg.WithDefaultHandler(func(ctx context.Context, b *tg.Bot, u *models.Update) {
			switch {
			case u.Message != nil:
				send(ctx, b, u.Message.Chat.ID, u.Message.Text)
			case u.CallbackQuery != nil:
				_, _ = b.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: u.CallbackQuery.ID})
				send(ctx, b, u.CallbackQuery.From.ID, u.CallbackQuery.Data)
			}
		}),
	)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); b.Start(rctx) }()
	return func() { cancel(); <-done }, nil
}

// Child is the bot in its own process, started as `serve` would be.
type Child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartChild starts cmd (the reentrybot binary with `serve`, or a test
// binary re-executed into ServeChild) with the configuration to serve the
// Env: the environment variables serve reads, on top of extraEnv. It is
// killed if this process dies.
func StartChild(cmd *exec.Cmd, e *Env, extraEnv ...string) (*Child, error) {
	cmd.Env = append(os.Environ(),
		"TELEGRAM_BOT_TOKEN="+e.Token(),
		"TELEGRAM_API_URL="+e.URL,
		"DATABASE_URL="+e.DBURL,
		"HTTP_ADDR=127.0.0.1:0",
		"LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	if cmd.Stdout == nil {
		cmd.Stdout = os.Stderr
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{cmd: cmd, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	return c, nil
}

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// PeakRSS is the child's peak resident set size (VmHWM), in bytes.
func (c *Child) PeakRSS() (int64, error) { return PeakRSS(c.Pid()) }

// Stop asks the child to finish (SIGTERM) and waits for it.
func (c *Child) Stop() error {
	select {
	case <-c.done:
		return fmt.Errorf("bench: the bot process had exited: %v", c.err)
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.err
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
		return errors.New("bench: the bot process did not stop within 30 s; killed it")
	}
}

// PeakRSS reads a process's peak resident set size (VmHWM) from
// /proc/<pid>/status, in bytes; pid 0 is this process.
func PeakRSS(pid int) (int64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("bench: reading VmHWM %q: %w", v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("bench: no VmHWM in %s", path)
}

// ChildEnv names the variable that makes a test binary serve as the bot
// (see ServeChild).
const ChildEnv = "REENTRYBOT_BENCH_CHILD"

// ServeChild runs the bot as `reentrybot serve` does, from the environment,
// until SIGTERM or SIGINT, and returns the exit code. Test binaries call it
// from TestMain when ChildEnv is set, to be their own bot process. With
// ChildEnv=fast it runs RunBot instead, with FastLimits and the tuning in
// BENCH_TUNE.
func ServeChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.FromEnv()
	if err = errors.Join(err, cfg.RequireServe()); err != nil {
		fmt.Fprintln(os.Stderr, "configuration:", err)
		return 2
	}
	// Several children share the machine: one fixed metrics port would
	// let only the first start.
	cfg.MetricsAddr = ""
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if os.Getenv(ChildEnv) == "fast" {
		tune, err := ParseTuning(os.Getenv("BENCH_TUNE"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		stopBot, err := RunBot(ctx, cfg.DatabaseURL, cfg.TelegramAPIURL, cfg.TelegramToken, FastLimits(), tune, log)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		<-ctx.Done()
		stopBot()
		return 0
	}
	a, err := app.Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ctx.Done()
	if err := a.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
