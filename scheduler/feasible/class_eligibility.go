package feasible

import "github.com/orch-dev/orch/nomadlike/structs"

// EvalEligibility is what one evaluation learned about node computed
// classes (structs.ComputedClassOf): for each task group, whether nodes of
// a class pass its driver and constraint checks. It serves twice:
//
//   - the checker chain consults it before checking a node, so the second
//     and later nodes of a class cost a map lookup, not a constraint run;
//   - a blocked evaluation carries it (Classes, Escaped), so the server
//     re-runs the evaluation only when a node of a class that could help
//     joins or frees capacity.
//
// Only checks whose verdict is a function of the computed class are
// recorded. Checks that read a unique target, and per-node checks (host
// volumes, distinct_hosts, distinct_property, resources) never are: a
// class verdict of "eligible" therefore means "worth trying", never "fits".
type EvalEligibility struct {
	// job holds classes every group must reject whatever its checks:
	// outside the job's datacenters or node pool.
	job map[string]string
	// groups holds each group's verdict per class.
	groups map[string]map[string]classVerdict
	// escaped marks groups with a constraint on a unique target.
	escaped map[string]bool
}

type classVerdict struct {
	ok bool
	// reason is the metric key of the check that failed, so a rejection
	// answered from the cache is reported as the check itself would.
	reason string
}

func newEvalEligibility() *EvalEligibility {
	return &EvalEligibility{
		job:     make(map[string]string),
		groups:  make(map[string]map[string]classVerdict),
		escaped: make(map[string]bool),
	}
}

// noteCandidates records the classes the job-wide checks ruled out.
func (e *EvalEligibility) noteCandidates(c Candidates) {
	for class, reason := range c.IneligibleClasses {
		e.job[class] = reason
	}
}

func (e *EvalEligibility) verdict(group, class string) (classVerdict, bool) {
	v, ok := e.groups[group][class]
	return v, ok
}

func (e *EvalEligibility) setVerdict(group, class string, v classVerdict) {
	m, ok := e.groups[group]
	if !ok {
		m = make(map[string]classVerdict)
		e.groups[group] = m
	}
	m[class] = v
}

func (e *EvalEligibility) setEscaped(group string, escaped bool) {
	if escaped {
		e.escaped[group] = true
	}
}

// Escaped reports whether any of groups has a constraint the computed
// class cannot stand for.
func (e *EvalEligibility) Escaped(groups []string) bool {
	for _, g := range groups {
		if e.escaped[g] {
			return true
		}
	}
	return false
}

// Classes returns the ClassEligibility of an evaluation that retries
// groups: true for a class some group found eligible, false for one that
// every group rejected (or the job-wide checks did). A class that one
// group rejected and another never saw is left out, so it still counts as
// unseen: a node of it might suit the group that did not look.
func (e *EvalEligibility) Classes(groups []string) map[string]bool {
	out := make(map[string]bool)
	rejected := make(map[string]int)
	for _, g := range groups {
		for class, v := range e.groups[g] {
			if v.ok {
				out[class] = true
			} else {
				rejected[class]++
			}
		}
	}
	for class, n := range rejected {
		if !out[class] && n == len(groups) {
			out[class] = false
		}
	}
	for class := range e.job {
		out[class] = false
	}
	return out
}

// classEscapes splits constraints into those the computed class can stand
// for and those reading a unique target, which must be checked per node.
func classEscapes(constraints []*structs.Constraint) (byClass, perNode []*structs.Constraint) {
	for _, c := range constraints {
		if structs.ConstraintEscapesClass(c) {
			perNode = append(perNode, c)
		} else {
			byClass = append(byClass, c)
		}
	}
	return byClass, perNode
}
