package store_test

import (
	"context"
	"maps"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/dbtest"
	"reentrybot/store"
)

// seedPerson adds a person straight into the tables: commune, the
// announcements consent decisions in order, and cases of the given kinds.
func seedPerson(t *testing.T, x *sqlx.DB, ref, commune string, consents []bool, kinds ...string) int64 {
	t.Helper()
	var id int64
	if err := x.Get(&id, `INSERT INTO people (external_id, chat_ref, commune_code) VALUES ($1, $1, NULLIF($2, '')) RETURNING id`, ref, commune); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	for _, g := range consents {
		at = at.Add(time.Minute)
		if _, err := x.Exec(`INSERT INTO consents (person_id, purpose, granted, text_version, decided_at) VALUES ($1, 'announcements', $2, 'v', $3)`, id, g, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range kinds {
		if _, err := x.Exec(`INSERT INTO cases (person_id, kind, status) VALUES ($1, $2, 'closed')`, id, k); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func seedStaff(t *testing.T, x *sqlx.DB) int64 {
	t.Helper()
	var id int64
	if err := x.Get(&id, `INSERT INTO staff (role, communes, display_name, telegram_user_id) VALUES ('officer', '{A}', 'UBND xã A', 99) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	return id
}

// The audience: latest consent a grant, reachable, not opted out, in the
// communes, with a case of the interest.
func TestAudience(t *testing.T) {
	ctx := context.Background()
	x := dbtest.New(t)
	db := &store.DB{X: x}
	seedPerson(t, x, "1", "A", []bool{true}, "job")
	seedPerson(t, x, "2", "A", []bool{true}, "course", "job")
	seedPerson(t, x, "3", "A", []bool{true}, "loan")
	seedPerson(t, x, "4", "A", []bool{true})
	seedPerson(t, x, "5", "A", []bool{true, false}, "job") // withdrew
	seedPerson(t, x, "6", "A", []bool{false, true}, "job") // granted again
	seedPerson(t, x, "7", "A", nil, "job")                 // never asked
	seedPerson(t, x, "8", "B", []bool{true}, "job")
	seedPerson(t, x, "9", "", []bool{true}, "job") // no commune yet
	off := seedPerson(t, x, "10", "A", []bool{true}, "job")
	gone := seedPerson(t, x, "11", "A", []bool{true}, "job")
	x.MustExec(`UPDATE people SET announcements_off = true WHERE id = $1`, off)
	x.MustExec(`UPDATE people SET reachable = false WHERE id = $1`, gone)
	// Announcements reach every channel, not Telegram alone.
	onZalo := seedPerson(t, x, "12", "B", []bool{true}, "job")
	x.MustExec(`UPDATE people SET channel = 'zalo' WHERE id = $1`, onZalo)

	tests := []struct {
		name string
		a    store.Audience
		want int
	}{
		{"commune A, everyone", store.Audience{Communes: []string{"A"}, Interest: "all"}, 5},
		{"commune A, job seekers", store.Audience{Communes: []string{"A"}, Interest: "job"}, 3},
		{"commune A, course", store.Audience{Communes: []string{"A"}, Interest: "course"}, 1},
		{"commune A, loan", store.Audience{Communes: []string{"A"}, Interest: "loan"}, 1},
		{"communes A and B", store.Audience{Communes: []string{"A", "B"}, Interest: "all"}, 7},
		{"commune C", store.Audience{Communes: []string{"C"}, Interest: "all"}, 0},
		{"province", store.Audience{ProvinceWide: true, Interest: "all"}, 8},
		{"province, job", store.Audience{ProvinceWide: true, Interest: "job"}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n int
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				n, err = tx.CountAudience(ctx, tt.a)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Fatalf("audience %d, want %d", n, tt.want)
			}
		})
	}
	t.Run("per channel", func(t *testing.T) {
		var got map[string]int
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.CountAudienceByChannel(ctx, store.Audience{Communes: []string{"A", "B"}, Interest: "all"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"telegram": 6, "zalo": 1}; !maps.Equal(got, want) {
			t.Fatalf("per channel %v, want %v", got, want)
		}
	})
}

// newRunning creates a running broadcast to commune A through the draft,
// confirm and start steps, as the composer and scheduler do.
func newRunning(t *testing.T, db *store.DB, staff int64, now time.Time) store.Broadcast {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.NewDraft(ctx, staff, 99, "vi")
		if err != nil {
			return err
		}
		d.Body, d.Communes, d.Interest, d.Step = "Hội chợ việc làm thứ Năm", []string{"A"}, "all", "confirm"
		if err := tx.SaveDraft(ctx, d); err != nil {
			return err
		}
		id = d.ID
		return tx.ConfirmBroadcast(ctx, d.ID, store.BroadcastScheduled, 0, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	started, err := db.StartDueBroadcasts(ctx, now)
	if err != nil || len(started) != 1 || started[0] != id {
		t.Fatalf("started %v, %v; want [%d]", started, err, id)
	}
	b, err := db.Broadcast(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Many workers claiming at once never get the same delivery, and a
// delivery abandoned in 'sending' is claimed again once its lease is over.
func TestClaimDeliveries(t *testing.T) {
	ctx := context.Background()
	x := dbtest.New(t)
	db := &store.DB{X: x}
	staff := seedStaff(t, x)
	const people = 300
	for i := range people {
		seedPerson(t, x, "p"+strconv.Itoa(i), "A", []bool{true})
	}
	now := time.Now()
	b := newRunning(t, db, staff, now)
	if b.Total != people || b.Status != store.BroadcastRunning {
		t.Fatalf("broadcast %+v", b)
	}

	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ds, err := db.ClaimDeliveries(ctx, now, now.Add(-time.Minute), 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != people {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), people)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %d claimed %d times", id, n)
		}
	}

	// Nothing is due within the lease; after it, everything is again.
	if ds, _ := db.ClaimDeliveries(ctx, now.Add(30*time.Second), now.Add(-30*time.Second), 1000); len(ds) != 0 {
		t.Fatalf("%d claimed within the lease", len(ds))
	}
	later := now.Add(2 * time.Minute)
	ds, err := db.ClaimDeliveries(ctx, later, later.Add(-time.Minute), 1000)
	if err != nil || len(ds) != people {
		t.Fatalf("after the lease: %d, %v", len(ds), err)
	}
	// The old claim is void: its holder can neither renew nor finish.
	old := store.Delivery{ID: ds[0].ID, ClaimedAt: now}
	if mine, _, err := db.TouchDelivery(ctx, &old, later); err != nil || mine {
		t.Fatalf("stale claim renewed: %v %v", mine, err)
	}
	d := ds[0]
	if mine, running, err := db.TouchDelivery(ctx, &d, later); err != nil || !mine || !running {
		t.Fatalf("renew: %v %v %v", mine, running, err)
	}
	if err := db.FinishDelivery(ctx, d, store.DeliverySent, "", later, 5); err != nil {
		t.Fatal(err)
	}
	f, err := db.BroadcastFigures(ctx, b.ID)
	if err != nil || f.Sent != 1 || f.Pending != people-1 || f.Total != people {
		t.Fatalf("figures %+v %v", f, err)
	}
	// Cancelling ends what is pending; what is being sent finishes.
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.CancelBroadcast(ctx, b.ID, staff, later)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.FailAbandoned(ctx, b.ID, later.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	f, _ = db.BroadcastFigures(ctx, b.ID)
	if f.Pending != 0 || f.Failed != people-1 {
		t.Fatalf("after cancel: %+v", f)
	}
	var reasons []string
	if err := x.Select(&reasons, `SELECT DISTINCT last_error FROM deliveries WHERE status = 'failed'`); err != nil || len(reasons) != 1 || reasons[0] != "cancelled" {
		t.Fatalf("reasons %v %v", reasons, err)
	}
}

// The shared bucket paces reservations from many goroutines (standing in
// for workers of several processes) to its rate, and a chat to one a
// second.
func TestReserveRate(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	overall := store.Bucket{Key: "test", Rate: 50, Burst: 1}
	var (
		mu    sync.Mutex
		slots []time.Time
		wg    sync.WaitGroup
	)
	start := time.Now()
	for g := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				chat := store.Bucket{Key: "chat:" + strconv.Itoa(g*100+i), Rate: 1, Burst: 1}
				for {
					r, err := db.ReserveRate(ctx, overall, chat, time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(r.Wait)
					if r.Reserved {
						mu.Lock()
						slots = append(slots, time.Now())
						mu.Unlock()
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	// 100 slots at 50/s with a burst of 1: about 2 s, never much faster.
	if elapsed < 1900*time.Millisecond || elapsed > 4*time.Second {
		t.Fatalf("100 slots at 50/s took %v", elapsed)
	}
	// One chat: the second message waits about a second.
	chat := store.Bucket{Key: "chat:one", Rate: 1, Burst: 1}
	r, err := db.ReserveRate(ctx, overall, chat, time.Second)
	if err != nil || !r.Reserved {
		t.Fatal(r, err)
	}
	if r, err = db.ReserveRate(ctx, overall, chat, time.Second); err != nil || r.Reserved || r.Wait < 900*time.Millisecond {
		t.Fatalf("second message to one chat: %+v, %v", r, err)
	}
	// A pause after a 429 holds every reservation.
	if err := db.PauseRate(ctx, "test", 2*time.Second); err != nil {
		t.Fatal(err)
	}
	r, err = db.ReserveRate(ctx, overall, store.Bucket{Key: "chat:two", Rate: 1, Burst: 1}, time.Second)
	if err != nil || r.Reserved || r.Wait < 1500*time.Millisecond {
		t.Fatalf("during a pause: %+v, %v", r, err)
	}
	if err := db.PruneRateBuckets(ctx, "chat:", 0); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.X.Get(&n, `SELECT count(*) FROM rate_buckets WHERE key LIKE 'chat:%'`); err != nil || n != 0 {
		t.Fatalf("%d chat buckets left after pruning, %v", n, err)
	}
}
