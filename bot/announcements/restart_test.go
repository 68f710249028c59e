package announcements_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

func sentCount(t testing.TB, x *sqlx.DB, id int64) int {
	return bottest.DeliveryCounts(t, x, id)["sent"]
}

// Stopping the bot in the middle of a broadcast hands back what the
// workers had claimed; a new bot finishes it, and nobody gets it twice.
func TestAnnounceResumesAfterStop(t *testing.T) {
	clk := bottest.DayClock()
	r := bottest.New(t, bottest.WithFastLimits(), bottest.WithClock(clk.Now),
		bottest.WithBroadcast(bot.BroadcastOptions{Rate: 80, PollEvery: 20 * time.Millisecond, StatusEvery: 200 * time.Millisecond}))
	officer := r.API.NewUser("Cán bộ", "vi")
	staff := officerRow(t, r.X, officer, hiepHoa)
	ps := eligibleReturnees(r.API, 150, hiepHoa)
	seedReturnees(t, r.X, ps)
	id := scheduleBroadcast(t, r.DB, staff, officer.ID, "Ngày giao dịch vay vốn: thứ Sáu tại UBND xã.", clk.Now(), hiepHoa)
	r.Run()
	r.WaitFor("a third delivered", func() bool { return sentCount(t, r.X, id) >= 50 })
	r.Stop()

	counts := r.DeliveryCounts(id)
	_, got := announcementsReceived(r.API, ps)
	if counts["sending"] != 0 || got != counts["sent"] || counts["pending"] == 0 {
		t.Fatalf("after a stop: deliveries %v, %d received", counts, got)
	}
	r.Restart()
	r.WaitFor("the rest delivered", func() bool { return sentCount(t, r.X, id) == len(ps) })
	each, total := announcementsReceived(r.API, ps)
	for _, p := range ps {
		if each[p.user.ID] != 1 {
			t.Fatalf("%s got the announcement %d times", p.user.FirstName, each[p.user.ID])
		}
	}
	if total != len(ps) {
		t.Fatalf("%d messages for %d recipients", total, len(ps))
	}
	r.WaitText(officer.ID, "đã gửi xong: 150/150")
}

// Env of the helper process: a bot that delivers until it is killed.
const (
	envHelperDB     = "ANNOUNCE_HELPER_DB"
	envHelperAPI    = "ANNOUNCE_HELPER_API"
	envHelperToken  = "ANNOUNCE_HELPER_TOKEN"
	envHelperOffset = "ANNOUNCE_HELPER_CLOCK_OFFSET"
)

// TestAnnounceHelperProcess is not a test: TestAnnounceSurvivesKill runs
// the test binary again with it, as a separate bot process to kill.
func TestAnnounceHelperProcess(t *testing.T) {
	url := os.Getenv(envHelperDB)
	if url == "" {
		t.Skip("helper process of TestAnnounceSurvivesKill")
	}
	x, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	offset, _ := time.ParseDuration(os.Getenv(envHelperOffset))
	log := bottest.Logger()
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := bot.New(ctx, bot.Options{
		Token: os.Getenv(envHelperToken), APIURL: os.Getenv(envHelperAPI), PollTimeout: time.Second,
		Limits: telegram.DefaultLimits(1000),
		Now:    func() time.Time { return clock.System().Add(offset) },
		Broadcast: bot.BroadcastOptions{Rate: 100, Batch: 2, Lease: 2 * time.Second,
			PollEvery: 20 * time.Millisecond, StatusEvery: 200 * time.Millisecond},
	}, &store.DB{X: x}, flows.NewEngine(nil), cat, log)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("helper running\n")
	_ = b.Run(ctx)
}

// A bot process killed with SIGKILL in the middle of a broadcast, then
// started again: every recipient ends with the announcement, and only
// those being sent at the moment of the kill may have it twice.
func TestAnnounceSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts bot processes")
	}
	dbURL := dbtest.URL(t)
	x, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	db := &store.DB{X: x}
	api := botapitest.NewTest(t, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	officer := api.NewUser("Cán bộ", "vi")
	staff := officerRow(t, x, officer, hiepHoa)
	ps := eligibleReturnees(api, 250, hiepHoa)
	seedReturnees(t, x, ps)
	clk := bottest.DayClock()
	id := scheduleBroadcast(t, db, staff, officer.ID, "Khoá học hàn điện mới, khai giảng thứ Hai.", clk.Now(), hiepHoa)

	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestAnnounceHelperProcess$", "-test.v")
		cmd.Env = append(os.Environ(), envHelperDB+"="+dbURL, envHelperAPI+"="+api.URL(),
			envHelperToken+"="+api.Token(), envHelperOffset+"="+strconv.FormatInt(int64(clk.Now().Sub(clock.System())), 10)+"ns")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "helper running") {
					close(ready)
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("helper process did not start")
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := clock.System().Add(60 * time.Second)
		for !cond() {
			if clock.System().After(deadline) {
				t.Fatalf("timed out waiting for %s: deliveries %v", what, bottest.DeliveryCounts(t, x, id))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	first := start()
	waitFor("a third delivered", func() bool { return sentCount(t, x, id) >= 100 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	atKill := bottest.DeliveryCounts(t, x, id)
	_, before := announcementsReceived(api, ps)
	inFlight := atKill["sending"]
	t.Logf("killed: deliveries %v, %d messages received", atKill, before)
	if before-atKill["sent"] > inFlight {
		t.Fatalf("%d messages received but %d recorded sent with %d in flight", before, atKill["sent"], inFlight)
	}

	start()
	waitFor("every delivery", func() bool { return sentCount(t, x, id) == len(ps) })
	each, total := announcementsReceived(api, ps)
	for _, p := range ps {
		if each[p.user.ID] < 1 {
			t.Fatalf("%s never got the announcement", p.user.FirstName)
		}
	}
	if dups := total - len(ps); dups > inFlight {
		t.Fatalf("%d duplicates, more than the %d deliveries in flight at the kill", dups, inFlight)
	} else {
		t.Logf("%d recipients, %d messages: %d duplicates, %d in flight at the kill", len(ps), total, dups, inFlight)
	}
	waitFor("the summary", func() bool {
		for _, m := range api.Messages(officer.ID) {
			if strings.Contains(m.Text, "đã gửi xong: 250/250") {
				return true
			}
		}
		return false
	})
}
