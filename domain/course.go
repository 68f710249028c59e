package domain

import "slices"

// The learner groups a course's training support is given for, in the
// order of the course file's columns. They follow the groups of Decision
// 46/2015/QĐ-TTg (support for elementary training and courses under three
// months); the figures themselves come only from the course data.
const (
	GroupDisability         = "disability"
	GroupPoorEthnicMinority = "poor_ethnic_minority" // a poor household of an ethnic minority
	GroupEthnicMinority     = "ethnic_minority"
	GroupPoor               = "poor"
	GroupNearPoor           = "near_poor"
	GroupOther              = "other" // learners in none of the groups above
)

var learnerGroups = [...]string{GroupDisability, GroupPoorEthnicMinority, GroupEthnicMinority, GroupPoor, GroupNearPoor, GroupOther}

// LearnerGroups lists the learner groups in column order.
func LearnerGroups() []string { return slices.Clone(learnerGroups[:]) }

// GroupSupport is a course's estimated training support per learner group,
// in VND, indexed as LearnerGroups; 0 means the course data gives none.
type GroupSupport [len(learnerGroups)]int64

// For returns the figure of one group, 0 for an unknown group.
func (s GroupSupport) For(group string) int64 {
	if i := slices.Index(learnerGroups[:], group); i >= 0 {
		return s[i]
	}
	return 0
}

// Any tells whether the course data gives a figure for some group.
func (s GroupSupport) Any() bool { return s != GroupSupport{} }

// Estimate is the support for a person in the given learner groups: the
// highest of their groups' figures (a person is supported once, under one
// group), 0 when none of them has a figure.
func (s GroupSupport) Estimate(groups []string) int64 {
	var best int64
	for _, g := range groups {
		best = max(best, s.For(g))
	}
	return best
}

// LearnerGroupsOf turns the priority groups a person named (disability,
// ethnic_minority, poor, near_poor: the job request's question) into the
// learner groups of course support; naming none makes the person "other".
func LearnerGroupsOf(priority []string) []string {
	var out []string
	for _, g := range learnerGroups {
		in := slices.Contains(priority, g)
		if g == GroupPoorEthnicMinority {
			in = slices.Contains(priority, GroupEthnicMinority) && slices.Contains(priority, GroupPoor)
		}
		if in {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		out = []string{GroupOther}
	}
	return out
}
