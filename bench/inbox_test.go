package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"reentrybot/store"
)

// BenchmarkInboxWrites is PostgreSQL's part of the intake inbox on a
// returnee's update, without the bot: updates written to the inbox in
// batches (AddTelegramToInbox) and each then marked handled by the
// handling's first statement (SeenTouchAndState, which also touches the
// person and reads the conversation), one transaction per update, as the
// bot does from memory. Half the updates are texts, half button presses
// (which carry the question's message and keyboard: about 1.7 kB), as
// in BenchmarkEndToEnd. It reports the WAL written per update (from
// pg_current_wal_lsn, the same on a busy machine) and the server's CPU per
// update (a throwaway cluster only; it grows with the machine's load,
// shown as other-cpu-s):
//
//	go test -run '^$' -bench InboxWrites -benchtime 20000x ./bench
func BenchmarkInboxWrites(b *testing.B) {
	const chats, batch = 200, 20
	ctx := context.Background()
	pg := sharedPostgres(b)
	name, dbURL, err := pg.newDatabase(ctx, true)
	if err != nil {
		b.Fatal(err)
	}
	defer pg.dropDatabase(name)
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	raw, err := os.ReadFile("testdata/inbox_updates.txt")
	if err != nil {
		b.Fatal(err)
	}
	templates := strings.Split(strings.TrimSpace(string(raw)), "\n")

	next := int64(1)
	round := func(n int) {
		for done := 0; done < n; {
			evs := make([]store.InboxEvent, 0, batch)
			for i := 0; i < batch && done+i < n; i++ {
				id, chat := next, int64(1_000_000+next%chats)
				next++
				evs = append(evs, store.InboxEvent{Channel: "telegram", EventID: strconv.FormatInt(id, 10),
					Address: strconv.FormatInt(chat, 10), Event: fmt.Appendf(nil, templates[id%int64(len(templates))], id, chat)})
			}
			fresh, err := db.AddTelegramToInbox(ctx, evs)
			if err != nil || len(fresh) != len(evs) {
				b.Fatalf("inbox: %d of %d written, %v", len(fresh), len(evs), err)
			}
			for _, e := range evs {
				id, _ := strconv.ParseInt(e.EventID, 10, 64)
				chat, _ := strconv.ParseInt(e.Address, 10, 64)
				var ok bool
				err := db.InTx(ctx, func(tx *store.Tx) error {
					var err error
					_, ok, err = tx.SeenTouchAndState(ctx, id, chat, "telegram", e.Address, e.Address, "vi")
					return err
				})
				if err != nil || !ok {
					b.Fatalf("update %d: marked %v, %v", id, ok, err)
				}
			}
			done += len(evs)
		}
	}
	round(chats * 2) // every person exists; statements prepared

	wal := func() string {
		var lsn string
		if err := db.X.GetContext(ctx, &lsn, `SELECT pg_current_wal_insert_lsn()::text`); err != nil {
			b.Fatal(err)
		}
		return lsn
	}
	pm := postmaster(pg.url)
	lsn0, cpu0, self0, busy0, t0 := wal(), serverCPU(pm), selfCPU(), machineBusy(), time.Now()
	b.ResetTimer()
	round(b.N)
	b.StopTimer()
	elapsed, lsn1, cpu1, self1, busy1 := time.Since(t0), wal(), serverCPU(pm), selfCPU(), machineBusy()
	var walBytes float64
	if err := db.X.GetContext(ctx, &walBytes, `SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)`, lsn1, lsn0); err != nil {
		b.Fatal(err)
	}
	n := float64(b.N)
	pgCPU := cpu1 - cpu0
	b.ReportMetric(walBytes/n, "WAL-B/update")
	b.ReportMetric(float64(pgCPU.Microseconds())/n, "pg-cpu-µs/update")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "updates/s")
	b.ReportMetric(max(0, (busy1-busy0)-(self1-self0)-pgCPU).Seconds(), "other-cpu-s")
}

// sharedPostgres is the benchmarks' PostgreSQL, started by the first that
// needs it (or the server at $BENCH_DATABASE_URL).
func sharedPostgres(b *testing.B) *Postgres {
	b.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return sharedPostgresLocked(b)
}

// sharedPostgresLocked is sharedPostgres with shared.mu held. Without
// PostgreSQL a benchmark fails: it would measure nothing.
func sharedPostgresLocked(b *testing.B) *Postgres {
	b.Helper()
	if shared.pg == nil {
		pg, err := StartPostgres(context.Background(), os.Getenv("BENCH_DATABASE_URL"))
		if err != nil {
			b.Fatalf("no PostgreSQL: %v", err)
		}
		shared.pg = pg
	}
	return shared.pg
}
