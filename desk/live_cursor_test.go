package desk

import (
	"testing"
	"time"
)

// The poller's cursor: every id handed on once, none skipped while a
// lower id may still commit, rolled-back ids given up after gapWait.
func TestCursor(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	type step struct {
		ids   []int64       // read in one poll
		after time.Duration // since t0
		fresh []int64       // of ids, those handed on
		at    int64         // the cursor after the poll
	}
	cases := []struct {
		name  string
		start int64
		steps []step
	}{
		{"in order", 10, []step{{ids: []int64{11, 12, 13}, fresh: []int64{11, 12, 13}, at: 13}}},
		{"read again, handed on once", 0, []step{
			{ids: []int64{1, 3}, fresh: []int64{1, 3}, at: 1},
			{ids: []int64{3}, after: time.Second, at: 1},
		}},
		{"a lower id commits later", 0, []step{
			{ids: []int64{1, 3, 4}, fresh: []int64{1, 3, 4}, at: 1},
			{ids: []int64{2, 3, 4}, after: 2 * time.Second, fresh: []int64{2}, at: 4},
		}},
		{"a rolled-back id is given up", 0, []step{
			{ids: []int64{2}, fresh: []int64{2}, at: 0},
			{ids: []int64{2}, after: gapWait, at: 0},
			{ids: []int64{2, 5}, after: gapWait + time.Second, fresh: []int64{5}, at: 2},
			{after: 2*gapWait + 2*time.Second, at: 5},
		}},
		{"ids at or below the start are old", 7, []step{{ids: []int64{6, 7, 8}, fresh: []int64{8}, at: 8}}},
		{"a jump past the poll's reach", 0, []step{{ids: []int64{20 * pollLimit}, fresh: []int64{20 * pollLimit}, at: 20 * pollLimit}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur := newCursor(c.start)
			for i, s := range c.steps {
				var fresh []int64
				for _, id := range s.ids {
					if cur.fresh(id) {
						fresh = append(fresh, id)
					}
				}
				cur.advance(t0.Add(s.after))
				if len(fresh) != len(s.fresh) || cur.at != s.at {
					t.Fatalf("step %d: handed on %v, want %v; at %d, want %d", i, fresh, s.fresh, cur.at, s.at)
				}
				for j := range fresh {
					if fresh[j] != s.fresh[j] {
						t.Fatalf("step %d: handed on %v, want %v", i, fresh, s.fresh)
					}
				}
			}
		})
	}
}
