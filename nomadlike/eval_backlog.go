package nomadlike

import "github.com/orch-dev/orch/nomadlike/structs"

// cancelBacklog holds superseded evaluations until the leader takes them
// to mark canceled in state. The eval broker and the blocked-evals tracker
// each own one; the owner's lock guards it.
type cancelBacklog struct {
	evals []*structs.Evaluation
	// ready has room for one signal: a wake-up, not a count.
	ready chan struct{}
}

func newCancelBacklog() cancelBacklog {
	return cancelBacklog{ready: make(chan struct{}, 1)}
}

func (q *cancelBacklog) push(eval *structs.Evaluation) {
	q.evals = append(q.evals, eval)
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take removes and returns up to max evaluations, all when max <= 0.
func (q *cancelBacklog) take(max int) []*structs.Evaluation {
	n := len(q.evals)
	if max > 0 && max < n {
		n = max
	}
	out := make([]*structs.Evaluation, n)
	copy(out, q.evals[:n])
	q.evals = q.evals[n:]
	return out
}

func (q *cancelBacklog) reset() { q.evals = nil }

func (q *cancelBacklog) len() int { return len(q.evals) }
