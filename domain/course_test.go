package domain_test

import (
	"slices"
	"testing"

	"reentrybot/domain"
)

func TestSupportEstimate(t *testing.T) {
	// A course like the sample "May công nghiệp cơ bản": no figure for
	// learners outside the groups.
	s := domain.GroupSupport{3_500_000, 3_500_000, 3_000_000, 3_000_000, 2_500_000, 0}
	for _, c := range []struct {
		priority []string
		groups   []string
		want     int64
	}{
		{nil, []string{"other"}, 0},
		{[]string{"near_poor"}, []string{"near_poor"}, 2_500_000},
		{[]string{"poor"}, []string{"poor"}, 3_000_000},
		{[]string{"ethnic_minority", "poor"}, []string{"poor_ethnic_minority", "ethnic_minority", "poor"}, 3_500_000},
		{[]string{"near_poor", "disability"}, []string{"disability", "near_poor"}, 3_500_000},
		{[]string{"unknown"}, []string{"other"}, 0},
	} {
		g := domain.LearnerGroupsOf(c.priority)
		if !slices.Equal(g, c.groups) {
			t.Errorf("LearnerGroupsOf(%v) = %v, want %v", c.priority, g, c.groups)
		}
		if got := s.Estimate(g); got != c.want {
			t.Errorf("Estimate(%v) = %d, want %d", g, got, c.want)
		}
	}
	if (domain.GroupSupport{}).Any() || !s.Any() {
		t.Error("Any is wrong")
	}
	if len(domain.LearnerGroups()) != len(s) {
		t.Error("one figure per learner group")
	}
}
