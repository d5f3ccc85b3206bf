package client

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	mockdriver "github.com/orch-dev/orch/drivers/mock"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestClient_BatchCompletions runs a batch group with completions = 5 and
// parallelism = 2 through the real server (scheduler, plan applier, the
// alloc-completed evaluations) and a client with the mock driver: it must
// end with exactly five complete allocations, and the tasks' own start
// and finish times must never show more than two running at once.
func TestClient_BatchCompletions(t *testing.T) {
	t.Parallel()
	srv := nomadtest.TestServer(t, nil)
	c := startMockClient(t, "node-a", srv)
	waitClientReady(t, c, 15*time.Second)

	job := mock.Job()
	job.Type = structs.JobTypeBatch
	tg := job.TaskGroups[0]
	tg.Count, tg.Completions, tg.Parallelism = 2, 5, 2
	tg.ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: structs.RescheduleDelayConstant}
	task := tg.Tasks[0]
	task.Driver, task.Config, task.KillTimeout = mockdriver.Name, map[string]interface{}{"run_for": "150ms"}, time.Second
	var reg structs.JobRegisterResponse
	if err := srv.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reg); err != nil {
		t.Fatal(err)
	}

	var allocs []*structs.Allocation
	clienttest.WaitFor(t, 30*time.Second, func() (bool, string) {
		var err error
		allocs, err = srv.State().AllocsByJob(nil, job.Namespace, job.ID)
		if err != nil {
			return false, err.Error()
		}
		done := 0
		for _, a := range allocs {
			if a.ClientStatus == structs.AllocClientStatusComplete {
				done++
			}
		}
		return done == 5, fmt.Sprintf("%d of %d allocations complete", done, len(allocs))
	})
	if len(allocs) != 5 {
		t.Fatalf("%d allocations, want exactly 5: %v", len(allocs), names(allocs))
	}
	if got, want := names(allocs), []string{"web[0]", "web[1]", "web[2]", "web[3]", "web[4]"}; !slices.Equal(got, want) {
		t.Fatalf("allocation names %v, want %v", got, want)
	}
	if peak := peakRunning(t, allocs); peak > 2 {
		t.Fatalf("%d tasks ran at once, parallelism is 2", peak)
	}
	clienttest.WaitFor(t, 10*time.Second, func() (bool, string) {
		j, err := srv.State().JobByID(nil, job.Namespace, job.ID)
		if err != nil || j == nil {
			return false, fmt.Sprintf("job %v, err %v", j, err)
		}
		return j.Status == structs.JobStatusDead, "job status " + j.Status
	})
}

// names lists the allocations' names without the job prefix, sorted.
func names(allocs []*structs.Allocation) []string {
	var out []string
	for _, a := range allocs {
		out = append(out, a.Name[len(a.JobID)+1:])
	}
	slices.Sort(out)
	return out
}

// peakRunning is the most tasks whose [StartedAt, FinishedAt] intervals
// overlap, from the task states the client reported.
func peakRunning(t *testing.T, allocs []*structs.Allocation) int {
	t.Helper()
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, a := range allocs {
		for name, ts := range a.TaskStates {
			if ts.StartedAt.IsZero() || ts.FinishedAt.IsZero() {
				t.Fatalf("alloc %s task %s has no start or finish time: %+v", a.ID, name, ts)
			}
			edges = append(edges, edge{ts.StartedAt, 1}, edge{ts.FinishedAt, -1})
		}
	}
	// Ends sort before starts at the same instant: a task that starts as
	// another finishes does not overlap it.
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}
