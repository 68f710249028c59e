package announcements_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/announcements"
	"reentrybot/bot/bottest"
	"reentrybot/bot/casework"
	"reentrybot/botapitest"
	"reentrybot/channel"
	"reentrybot/desk"
	"reentrybot/desk/desktest"
	"reentrybot/store"
)

// pacedChannel is the test channel with a rate of its own, recording
// when each message reached it (the machine's clock: pacing is elapsed
// time).
type pacedChannel struct {
	*bottest.Channel
	rate float64
	mu   sync.Mutex
	at   map[string][]time.Time // by address ref
}

func (c *pacedChannel) Capabilities() channel.Capabilities {
	caps := c.Channel.Capabilities()
	caps.Rate = c.rate
	return caps
}

func (c *pacedChannel) Send(ctx context.Context, to channel.Address, m channel.Message) error {
	if err := c.Channel.Send(ctx, to, m); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at[to.Ref] = append(c.at[to.Ref], time.Now())
	return nil
}

func (c *pacedChannel) times() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Time
	for _, ts := range c.at {
		out = append(out, ts...)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// deskAnnounce is a bot with its workers, a test channel of its own
// rate, returnees of commune hiepHoa on Telegram (tg) and on the test
// channel (testRefs), some of kinhBac (elsewhere), and the desk beside it
// with an officer of hiepHoa without Telegram invited (code).
type deskAnnounce struct {
	r         *bottest.Rig
	ch        *pacedChannel
	tg        []returnee
	elsewhere []returnee
	testRefs  []string
	desk      string // the desk's URL
	code      string // the officer's invite
}

const (
	deskTgRate, deskTestRate = 10.0, 2.0
	deskAnnounceBody         = "Hội chợ việc làm thứ Năm, 8 giờ, nhà văn hoá xã."
)

func newDeskAnnounce(t *testing.T, over int) *deskAnnounce {
	r := bottest.New(t, bottest.WithFastLimits(), daytime(), bottest.WithBroadcast(bot.BroadcastOptions{
		Rate: deskTgRate, PerChatRate: 50, ApprovalOver: over, StatusEvery: 200 * time.Millisecond, PollEvery: 20 * time.Millisecond,
	}))
	r.LoadCommunes()
	e := &deskAnnounce{r: r, ch: &pacedChannel{Channel: &bottest.Channel{}, rate: deskTestRate, at: map[string][]time.Time{}}}
	r.Bot.AddChannel(e.ch)
	e.tg = eligibleReturnees(r.API, 8, hiepHoa)
	e.elsewhere = eligibleReturnees(r.API, 3, kinhBac)
	seedReturnees(t, r.X, append(slices.Clone(e.tg), e.elsewhere...))
	for i := range 5 {
		ref := "t" + strconv.Itoa(i)
		e.testRefs = append(e.testRefs, ref)
		var pid int64
		if err := r.X.Get(&pid, `INSERT INTO people (channel, external_id, chat_ref, language, commune_code) VALUES ('test', $1, $1, 'vi', $2) RETURNING id`, ref, hiepHoa); err != nil {
			t.Fatal(err)
		}
		r.X.MustExec(`INSERT INTO consents (person_id, purpose, granted, text_version, decided_at) VALUES ($1, 'announcements', true, 'v', $2)`, pid, r.DB.Now())
	}
	dropPendingUpdates(t, r.API)
	r.Run()

	d, err := desk.New(r.DB, r.Cat, desk.Options{
		HashInvite: bot.HashInviteCode, CaseChanged: func(id int64) { casework.DeskChanged(r.Bot, id) }, Loc: bottest.Hanoi,
		ApprovalOver: over, Announced: announcements.Announced(r.Bot), Decided: announcements.Decided(r.Bot), Reacher: announcements.Reacher(r.Bot),
	}, bottest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	e.desk = srv.URL
	code, hash := bot.NewInviteCode()
	if _, err := r.DB.CreateInvite(r.Ctx, store.RoleOfficer, []string{hiepHoa}, "UBND xã Hiệp Hoà", hash, r.DB.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.code = code
	return e
}

// delivered waits for broadcast bid to finish, and checks it reached
// exactly the commune's people, once each, each channel at its own rate
// (on the times the fakes recorded).
func (e *deskAnnounce) delivered(bid int64) {
	r, t := e.r, e.r.T
	t.Helper()
	r.WaitFor("the broadcast done and reported", func() bool {
		var done bool
		_ = r.X.Get(&done, `SELECT status = 'done' AND summary_sent_at IS NOT NULL FROM broadcasts WHERE id = $1`, bid)
		return done
	})
	if c := r.DeliveryCounts(bid); c["sent"] != 13 || len(c) != 1 {
		t.Fatalf("deliveries %v, want 13 sent", c)
	}
	recipients := map[int64]bool{}
	for _, p := range e.tg {
		recipients[p.user.ID] = true
		if got := announceMsgs(r, p.user.ID); len(got) != 1 || !strings.Contains(got[0].Text, deskAnnounceBody) {
			t.Fatalf("%s got %d announcements", p.user.FirstName, len(got))
		}
	}
	for _, p := range e.elsewhere {
		if got := announceMsgs(r, p.user.ID); len(got) != 0 {
			t.Fatalf("%s of another commune got %d announcements", p.user.FirstName, len(got))
		}
	}
	for _, ref := range e.testRefs {
		if got := e.ch.Messages(ref); len(got) != 1 || !strings.Contains(got[0].Text, deskAnnounceBody) {
			t.Fatalf("%s on the test channel got %v", ref, got)
		}
	}
	var tgTimes []time.Time
	for _, c := range r.API.CallLog() {
		if c.Method == "sendMessage" && recipients[c.ChatID] && c.Status == http.StatusOK {
			tgTimes = append(tgTimes, c.At)
		}
		if (c.Method == "sendMessage" || c.Method == "editMessageText") && c.ChatID == 0 {
			t.Errorf("a %s without a chat (the web author has no Telegram): %+v", c.Method, c)
		}
	}

	// Each channel at its pace: the shared bucket hands out one slot every
	// 1/rate (a burst of 1) once the broadcast started, so the last message
	// of n cannot come before (n-1)/rate after the start. Load only makes
	// it later. The start is on the program's clock (a day clock, or one
	// the date guard moved years away), moved onto the machine's, on which
	// the fakes record.
	var started time.Time
	if err := r.X.Get(&started, `SELECT started_at FROM broadcasts WHERE id = $1`, bid); err != nil {
		t.Fatal(err)
	}
	start := started.Add(time.Now().Sub(r.DB.Now()))
	paced := func(name string, times []time.Time, rate float64) {
		t.Helper()
		if len(times) == 0 {
			t.Fatalf("%s: no sends recorded", name)
		}
		least := time.Duration(float64(len(times)-1) / rate * float64(time.Second))
		if took := times[len(times)-1].Sub(start); took < least-30*time.Millisecond {
			t.Errorf("%s: %d messages in %v, faster than %v/s allows (%v)", name, len(times), took, rate, least)
		} else {
			t.Logf("%s: %d messages in %v at %v/s (at least %v)", name, len(times), took, rate, least)
		}
	}
	paced("Telegram", tgTimes, deskTgRate)
	paced("test channel", e.ch.times(), deskTestRate)
	var buckets []string
	if err := r.X.Select(&buckets, `SELECT key FROM rate_buckets WHERE key LIKE 'broadcast%' ORDER BY key`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(buckets) != "[broadcast broadcast:test]" {
		t.Errorf("buckets %v, want Telegram's and the test channel's own", buckets)
	}
}

// An officer without Telegram composes at the web desk for a commune of
// returnees on Telegram and on another channel; it is above the approval
// threshold, so an admin is asked on Telegram and approves there, on the
// same row. The bot's workers then deliver it to exactly the commune's
// people, once each, each channel at its own rate, and the desk's list
// shows the figures.
func TestDeskAnnouncementDeliveredAtTheChannelsPace(t *testing.T) {
	e := newDeskAnnounce(t, 10)
	r := e.r
	admin := r.StaffAccount(store.RoleAdmin, nil, "Quản trị")
	web := desktest.Member(t, e.desk, e.code, "hiephoa", r.DB.Now())

	// The form for the commune B of another officer is refused.
	form := url.Values{"csrf": {web.CSRF}, "commune": {kinhBac}, "interest": {"all"}, "when": {"now"}, "text": {"x"}}
	if st, _, _ := web.Post("/announce/preview", form); st != http.StatusForbidden {
		t.Fatalf("an officer of %s composing for %s: %d", hiepHoa, kinhBac, st)
	}
	form.Set("commune", hiepHoa)
	form.Set("text", deskAnnounceBody)
	st, page, _ := web.Post("/announce/preview", form)
	if st != http.StatusOK || !strings.Contains(page, "13 người") || !strings.Contains(page, "Telegram: 8") || !strings.Contains(page, "test: 5") ||
		!strings.Contains(page, "cần quản trị viên duyệt") {
		t.Fatalf("preview: %d\n%s", st, page)
	}
	id := regexp.MustCompile(`name="id" value="(\d+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no draft id in the preview")
	}
	if st, _, loc := web.Post("/announce/confirm", url.Values{"csrf": {web.CSRF}, "id": {id[1]}}); st != http.StatusSeeOther || loc != "/announce?m=pending" {
		t.Fatalf("confirm: %d %s", st, loc)
	}

	// The admin is asked on Telegram, and approves there.
	okData := "a:ok:" + id[1]
	var req *botapitest.Message
	r.WaitFor("the approval request on Telegram", func() bool {
		for _, m := range r.BotMessages(admin.ID) {
			if m.Markup != nil && m.Markup.InlineKeyboard[0][0].CallbackData == okData {
				req = &m
				return true
			}
		}
		return false
	})
	if got := len(announceMsgs(r, admin.ID)); got != 1 {
		t.Errorf("the admin saw %d previews, want 1", got)
	}
	r.WaitSeen(mustUpdate(r.API.PressButton(admin, *req, okData)))
	bid, _ := strconv.ParseInt(id[1], 10, 64)
	e.delivered(bid)

	// The desk's list shows the outcome.
	_, list, _ := web.Get("/announce")
	if !strings.Contains(list, "Đã gửi xong") || !strings.Contains(list, `<span class="sent">13</span>/<span class="total">13</span>`) {
		t.Fatalf("the desk's list:\n%s", list)
	}
	if strings.Contains(list, `http-equiv="refresh"`) {
		t.Error("a finished list still refreshes itself")
	}

	// The other way round: an officer in Telegram waits for approval, an
	// admin at the desk refuses; the officer is told in Telegram and
	// nothing is delivered.
	tgOfficer := r.API.NewUser("Cán bộ", "vi")
	staffID := officerRow(t, r.X, tgOfficer, hiepHoa)
	var pending int64
	err := r.DB.InTx(r.Ctx, func(tx *store.Tx) error {
		d, err := tx.NewDraft(r.Ctx, staffID, tgOfficer.ID, "vi")
		if err != nil {
			return err
		}
		d.Body, d.Communes, d.Interest, d.Step = "Lớp học nghề", []string{hiepHoa}, "all", "confirm"
		if err := tx.SaveDraft(r.Ctx, d); err != nil {
			return err
		}
		pending = d.ID
		return tx.ConfirmBroadcast(r.Ctx, d.ID, store.BroadcastPending, 13, r.DB.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	code, hash := bot.NewInviteCode()
	if _, err := r.DB.CreateInvite(r.Ctx, store.RoleAdmin, nil, "Chị Quản trị", hash, r.DB.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	webAdmin := desktest.Member(t, e.desk, code, "quantri", r.DB.Now())
	p := strconv.FormatInt(pending, 10)
	if st, _, loc := webAdmin.Post("/announce/"+p+"/refuse", url.Values{"csrf": {webAdmin.CSRF}}); st != http.StatusSeeOther || loc != "/announce?m=refused" {
		t.Fatalf("refusing from the web: %d %s", st, loc)
	}
	r.WaitText(tgOfficer.ID, "Thông báo #"+p+" đã bị Chị Quản trị từ chối")
	if c := r.DeliveryCounts(pending); len(c) != 0 {
		t.Errorf("a refused announcement delivered %v", c)
	}
}
