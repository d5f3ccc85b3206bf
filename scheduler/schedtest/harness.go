package schedtest

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
)

// Harness runs evaluations against a State through a Planner with a fixed
// clock.
type Harness struct {
	State   *State
	Planner *Planner
	Logger  hclog.Logger
	// Clock is what the scheduler reads as now; tests move it.
	Clock time.Time
	// Factory builds the scheduler; scheduler.NewScheduler by default.
	Factory scheduler.Factory
}

// NewHarness returns an empty harness whose logs go to t and whose clock
// stands at a fixed instant.
func NewHarness(t testing.TB) *Harness {
	state := NewState()
	return &Harness{
		State:   state,
		Planner: NewPlanner(state),
		Logger:  TestLogger(t),
		Clock:   time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Factory: scheduler.NewScheduler,
	}
}

// Process runs eval on a snapshot of the harness state.
func (h *Harness) Process(eval *structs.Evaluation) error {
	return h.ProcessWith(eval, nil)
}

// ProcessWith runs eval and lets configure adjust the scheduler (for
// example its sample limit) before it runs.
func (h *Harness) ProcessWith(eval *structs.Evaluation, configure func(scheduler.Scheduler)) error {
	sched, err := h.Factory(eval.Type, scheduler.Config{
		Logger:  h.Logger,
		State:   h.State.Snapshot(),
		Planner: h.Planner,
		Now:     func() time.Time { return h.Clock },
	})
	if err != nil {
		return err
	}
	if configure != nil {
		configure(sched)
	}
	return sched.Process(eval)
}

// LastPlan returns the latest submitted plan, or nil.
func (h *Harness) LastPlan() *structs.Plan {
	plans := h.Planner.Plans()
	if len(plans) == 0 {
		return nil
	}
	return plans[len(plans)-1]
}

// LastEval returns the latest evaluation passed to UpdateEval, or nil.
func (h *Harness) LastEval() *structs.Evaluation {
	updates := h.Planner.Updates()
	if len(updates) == 0 {
		return nil
	}
	return updates[len(updates)-1]
}

// Placed returns the plan's new or updated allocations in name order.
func Placed(plan *structs.Plan) []*structs.Allocation {
	return flatten(plan.NodeAllocation)
}

// Stopped returns the plan's stopped allocations in name order.
func Stopped(plan *structs.Plan) []*structs.Allocation {
	return flatten(plan.NodeUpdate)
}

func flatten(byNode map[string][]*structs.Allocation) []*structs.Allocation {
	var out []*structs.Allocation
	for _, allocs := range byNode {
		out = append(out, allocs...)
	}
	sortAllocs(out)
	return out
}

// TestLogger returns a logger that writes through t.Log, so output shows
// only for failing tests and is attributed to the right one.
func TestLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:   t.Name(),
		Level:  hclog.Debug,
		Output: testWriter{t},
	})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
