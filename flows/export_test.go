package flows

import "slices"

// FlowStates lists every state of every flow ("flow/state"), for the test
// that /privacy works in each.
func FlowStates() []string {
	var out []string
	for name, f := range flowDefs {
		for s := range f.states {
			out = append(out, name+"/"+s)
		}
		if f.summary {
			out = append(out, name+"/"+stateSummary)
		}
	}
	out = append(out, flowMenu+"/"+stateMenu)
	slices.Sort(out)
	return out
}
