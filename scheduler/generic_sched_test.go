package scheduler_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/reconcile"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

func TestNewScheduler(t *testing.T) {
	cfg := scheduler.Config{State: schedtest.NewState(), Planner: schedtest.NewPlanner(schedtest.NewState())}
	cases := []struct {
		evalType    string
		unsupported bool
	}{
		{structs.JobTypeService, false},
		{structs.JobTypeBatch, false},
		{structs.JobTypeSystem, false},
		{structs.JobTypeSysBatch, false},
		{"cron", true},
	}
	for _, tc := range cases {
		t.Run(tc.evalType, func(t *testing.T) {
			s, err := scheduler.NewScheduler(tc.evalType, cfg)
			if tc.unsupported {
				if !errors.Is(err, scheduler.ErrUnsupportedType) || s != nil {
					t.Fatalf("got (%v, %v), want ErrUnsupportedType", s, err)
				}
				return
			}
			if err != nil || s == nil {
				t.Fatalf("got (%v, %v), want a scheduler", s, err)
			}
		})
	}
	if _, err := scheduler.NewScheduler(structs.JobTypeService, scheduler.Config{}); err == nil {
		t.Fatal("a config without State and Planner was accepted")
	}
}

// setup registers n mock nodes and job in a new harness.
func setup(t *testing.T, nodes int, job *structs.Job) *schedtest.Harness {
	t.Helper()
	h := schedtest.NewHarness(t)
	for range nodes {
		h.State.UpsertNode(mock.Node())
	}
	h.State.UpsertJob(job)
	return h
}

func process(t *testing.T, h *schedtest.Harness, eval *structs.Evaluation) {
	t.Helper()
	if err := h.Process(eval); err != nil {
		t.Fatalf("process: %v", err)
	}
}

// register stores a new version of job changed by change, as Job.Register
// does.
func register(h *schedtest.Harness, job *structs.Job, change func(*structs.Job)) *structs.Job {
	next := *job
	next.Version++
	next.JobModifyIndex = h.State.Index() + 1
	next.TaskGroups = slices.Clone(job.TaskGroups)
	for i, tg := range next.TaskGroups {
		c := *tg
		next.TaskGroups[i] = &c
	}
	change(&next)
	h.State.UpsertJob(&next)
	return &next
}

func liveAllocs(h *schedtest.Harness) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range h.State.Allocs() {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out
}

func TestServicePlacement(t *testing.T) {
	job := mock.Job()
	h := setup(t, 3, job)
	eval := mock.EvalFor(job)
	process(t, h, eval)

	placed := schedtest.Placed(h.LastPlan())
	if len(placed) != 10 {
		t.Fatalf("placed %d allocations, want 10", len(placed))
	}
	names := map[string]bool{}
	for _, a := range placed {
		names[a.Name] = true
		switch {
		case a.ID == "" || a.EvalID != eval.ID || a.Namespace != job.Namespace || a.JobID != job.ID:
			t.Fatalf("identity fields wrong: %+v", a)
		case a.Job != job || a.TaskGroup != "web" || a.NodeID == "" || a.NodeName == "":
			t.Fatalf("placement fields wrong: %+v", a)
		case a.DesiredStatus != structs.AllocDesiredStatusRun || a.ClientStatus != structs.AllocClientStatusPending:
			t.Fatalf("statuses %q/%q, want run/pending", a.DesiredStatus, a.ClientStatus)
		case a.CreateTime != h.Clock.UnixNano():
			t.Fatalf("CreateTime %d is not the injected clock", a.CreateTime)
		case a.Metrics == nil || len(a.Metrics.ScoreMetaData) == 0:
			t.Fatalf("no placement metrics on %s", a.Name)
		}
		res := a.AllocatedResources
		if res.Tasks["web"].Cpu.CpuShares != 500 || res.Tasks["web"].Memory.MemoryMB != 256 || res.Shared.DiskMB != 150 {
			t.Fatalf("allocated resources %+v", res)
		}
	}
	for i := range 10 {
		if name := fmt.Sprintf("%s.web[%d]", job.ID, i); !names[name] {
			t.Fatalf("missing %s", name)
		}
	}
	got := h.LastEval()
	if got.ID != eval.ID || got.Status != structs.EvalStatusComplete || got.BlockedEval != "" || len(got.FailedTGAllocs) != 0 {
		t.Fatalf("eval outcome %+v", got)
	}
	if !maps.Equal(got.QueuedAllocations, map[string]int{"web": 0}) {
		t.Fatalf("QueuedAllocations = %v", got.QueuedAllocations)
	}
	// Running the same evaluation on the committed state changes nothing.
	process(t, h, mock.EvalFor(job))
	if n := len(h.Planner.Plans()); n != 1 {
		t.Fatalf("second evaluation submitted a plan (%d plans)", n)
	}
}

func TestPlacementFailureBlocksEval(t *testing.T) {
	job := mock.Job()
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 5000
	h := setup(t, 1, job)
	eval := mock.EvalFor(job)
	process(t, h, eval)

	if placed := schedtest.Placed(h.LastPlan()); len(placed) != 1 {
		t.Fatalf("placed %d, want the 1 that fits", len(placed))
	}
	got := h.LastEval()
	m := got.FailedTGAllocs["web"]
	if m == nil || m.NodesExhausted != 1 || m.DimensionExhausted["memory"] != 1 || m.CoalescedFailures != 8 {
		t.Fatalf("failure metric %+v, want memory exhausted on 1 node and 8 coalesced failures", m)
	}
	if got.QueuedAllocations["web"] != 9 || got.Status != structs.EvalStatusComplete {
		t.Fatalf("eval %+v, want complete with 9 queued", got)
	}
	created := h.Planner.Created()
	if len(created) != 1 {
		t.Fatalf("created %d evals, want one blocked eval", len(created))
	}
	b := created[0]
	if b.Status != structs.EvalStatusBlocked || b.TriggeredBy != structs.EvalTriggerQueuedAllocs ||
		b.JobID != job.ID || b.PreviousEval != eval.ID || got.BlockedEval != b.ID {
		t.Fatalf("blocked eval %+v (eval.BlockedEval %q)", b, got.BlockedEval)
	}
}

func TestScaleDownAndUp(t *testing.T) {
	job := mock.Job()
	job.TaskGroups[0].Count = 5
	h := setup(t, 2, job)
	process(t, h, mock.EvalFor(job))

	job = register(h, job, func(j *structs.Job) { j.TaskGroups[0].Count = 3 })
	process(t, h, mock.EvalFor(job))
	plan := h.LastPlan()
	var stopped []string
	for _, a := range schedtest.Stopped(plan) {
		stopped = append(stopped, a.Name[len(job.ID):])
	}
	if !slices.Equal(stopped, []string{".web[3]", ".web[4]"}) {
		t.Fatalf("stopped %v, want the two highest indexes", stopped)
	}
	for _, a := range schedtest.Placed(plan) {
		if a.Job != job {
			t.Fatalf("%s was not updated in place to the new job version", a.Name)
		}
	}
	if n := len(schedtest.Placed(plan)); n != 3 {
		t.Fatalf("%d in-place updates, want 3", n)
	}

	existing := map[string]bool{}
	for _, a := range h.State.Allocs() {
		existing[a.ID] = true
	}
	job = register(h, job, func(j *structs.Job) { j.TaskGroups[0].Count = 4 })
	process(t, h, mock.EvalFor(job))
	var fresh []string
	for _, a := range schedtest.Placed(h.LastPlan()) {
		if !existing[a.ID] {
			fresh = append(fresh, a.Name[len(job.ID):])
		}
	}
	if !slices.Equal(fresh, []string{".web[3]"}) {
		t.Fatalf("new placements %v, want index 3 reused", fresh)
	}
	if n := len(liveAllocs(h)); n != 4 {
		t.Fatalf("%d live allocations, want 4", n)
	}
}

func TestStopJob(t *testing.T) {
	job := mock.Job()
	h := setup(t, 2, job)
	process(t, h, mock.EvalFor(job))
	job = register(h, job, func(j *structs.Job) { j.Stop = true })
	process(t, h, mock.EvalFor(job))
	if n := len(schedtest.Stopped(h.LastPlan())); n != 10 {
		t.Fatalf("stopped %d, want 10", n)
	}
	if n := len(liveAllocs(h)); n != 0 {
		t.Fatalf("%d allocations still live", n)
	}
	if q := h.LastEval().QueuedAllocations["web"]; q != 0 {
		t.Fatalf("queued %d for a stopped job", q)
	}
}

func TestBatchCompleteNotReplaced(t *testing.T) {
	job := mock.BatchJob()
	job.TaskGroups[0].Count = 2
	h := setup(t, 1, job)
	process(t, h, mock.EvalFor(job))
	done := *liveAllocs(h)[0]
	done.ClientStatus = structs.AllocClientStatusComplete
	h.State.UpsertAllocs(&done)
	process(t, h, mock.EvalFor(job))
	if n := len(h.Planner.Plans()); n != 1 {
		t.Fatalf("a completed batch allocation caused a new plan")
	}
}

func TestFailedAllocRescheduledAfterDelay(t *testing.T) {
	job := mock.Job()
	job.TaskGroups[0].Count = 1
	h := setup(t, 2, job)
	process(t, h, mock.EvalFor(job))
	failed := *liveAllocs(h)[0]
	failed.ClientStatus = structs.AllocClientStatusFailed
	failed.TaskStates = map[string]*structs.TaskState{"web": {State: structs.TaskStateDead, Failed: true, FinishedAt: h.Clock}}
	h.State.UpsertAllocs(&failed)

	eval := mock.EvalFor(job)
	eval.TriggeredBy = structs.EvalTriggerRetryFailedAlloc
	process(t, h, eval)
	created := h.Planner.Created()
	if len(created) != 1 {
		t.Fatalf("created %d evals, want one follow-up", len(created))
	}
	followup := created[0]
	if !followup.WaitUntil.Equal(h.Clock.Add(30*time.Second)) || followup.TriggeredBy != structs.EvalTriggerRetryFailedAlloc ||
		followup.Status != structs.EvalStatusPending || followup.PreviousEval != eval.ID {
		t.Fatalf("follow-up eval %+v, want pending alloc-failure eval at +30s", followup)
	}
	if got := h.State.AllocByID(failed.ID).FollowupEvalID; got != followup.ID {
		t.Fatalf("failed alloc FollowupEvalID = %q, want %q", got, followup.ID)
	}
	if n := len(liveAllocs(h)); n != 0 {
		t.Fatalf("replacement placed before the delay passed")
	}

	// Another evaluation before the delay must not create a second one.
	process(t, h, mock.EvalFor(job))
	if n := len(h.Planner.Created()); n != 1 {
		t.Fatalf("created %d evals, want still one", n)
	}

	h.Clock = followup.WaitUntil
	process(t, h, followup)
	live := liveAllocs(h)
	if len(live) != 1 {
		t.Fatalf("%d live allocations after the follow-up, want 1", len(live))
	}
	repl, old := live[0], h.State.AllocByID(failed.ID)
	if repl.Name != failed.Name || repl.PreviousAllocation != failed.ID || old.NextAllocation != repl.ID {
		t.Fatalf("replacement %s (prev %q) and old next %q are not linked", repl.Name, repl.PreviousAllocation, old.NextAllocation)
	}
	if old.DesiredDescription != reconcile.DescRescheduled {
		t.Fatalf("old alloc description %q", old.DesiredDescription)
	}
}

func TestLostAllocsReplaced(t *testing.T) {
	cases := []struct {
		name string
		lose func(h *schedtest.Harness, node *structs.Node)
	}{
		{"node down", func(h *schedtest.Harness, node *structs.Node) {
			down := *node
			down.Status = structs.NodeStatusDown
			h.State.UpsertNode(&down)
		}},
		{"node gone", func(h *schedtest.Harness, node *structs.Node) { h.State.DeleteNode(node.ID) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Count = 4
			h := setup(t, 2, job)
			process(t, h, mock.EvalFor(job))
			victim := liveAllocs(h)[0]
			node, _ := h.State.NodeByID(victim.NodeID)
			var onNode []string
			for _, a := range liveAllocs(h) {
				if a.NodeID == node.ID {
					onNode = append(onNode, a.ID)
				}
			}
			tc.lose(h, node)

			eval := mock.EvalFor(job)
			eval.TriggeredBy, eval.NodeID = structs.EvalTriggerNodeUpdate, node.ID
			process(t, h, eval)
			for _, id := range onNode {
				old := h.State.AllocByID(id)
				if old.ClientStatus != structs.AllocClientStatusLost || old.DesiredStatus != structs.AllocDesiredStatusStop || old.NextAllocation == "" {
					t.Fatalf("alloc on the lost node: client %q desired %q next %q", old.ClientStatus, old.DesiredStatus, old.NextAllocation)
				}
				repl := h.State.AllocByID(old.NextAllocation)
				if repl.NodeID == node.ID || repl.Name != old.Name || repl.PreviousAllocation != id {
					t.Fatalf("replacement %+v", repl)
				}
			}
			if n := len(liveAllocs(h)); n != 4 {
				t.Fatalf("%d live allocations, want 4", n)
			}
		})
	}
}

func TestJobUpdates(t *testing.T) {
	cases := []struct {
		name        string
		change      func(*structs.Job)
		destructive bool
	}{
		{"task config is destructive", func(j *structs.Job) {
			task := *j.TaskGroups[0].Tasks[0]
			task.Config = map[string]interface{}{"command": "/bin/true"}
			j.TaskGroups[0].Tasks = []*structs.Task{&task}
		}, true},
		{"meta is in place", func(j *structs.Job) { j.TaskGroups[0].Meta = map[string]string{"v": "2"} }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Count = 3
			h := setup(t, 2, job)
			process(t, h, mock.EvalFor(job))
			before := liveAllocs(h)
			next := register(h, job, tc.change)
			process(t, h, mock.EvalFor(next))

			after := liveAllocs(h)
			if len(after) != 3 {
				t.Fatalf("%d live allocations, want 3", len(after))
			}
			for _, a := range after {
				if a.Job != next {
					t.Fatalf("%s still runs the old job", a.Name)
				}
				if tc.destructive && (a.PreviousAllocation == "" || h.State.AllocByID(a.PreviousAllocation).NextAllocation != a.ID) {
					t.Fatalf("%s does not replace an old allocation", a.Name)
				}
			}
			kept := 0
			for _, b := range before {
				if !h.State.AllocByID(b.ID).TerminalStatus() {
					kept++
				}
			}
			if want := map[bool]int{true: 0, false: 3}[tc.destructive]; kept != want {
				t.Fatalf("%d old allocations kept, want %d", kept, want)
			}
		})
	}
}

func TestPartialCommitRetries(t *testing.T) {
	job := mock.Job()
	h := setup(t, 3, job)
	rejected := ""
	h.Planner.RejectNode = func(plan *structs.Plan, nodeID string) bool {
		if rejected == "" {
			rejected = nodeID
		}
		return len(h.Planner.Plans()) == 1 && nodeID == rejected
	}
	process(t, h, mock.EvalFor(job))
	if n := len(h.Planner.Plans()); n != 2 {
		t.Fatalf("submitted %d plans, want a retry after the partial commit", n)
	}
	if n := len(liveAllocs(h)); n != 10 {
		t.Fatalf("%d allocations after the retry, want 10", n)
	}
	if got := h.LastEval(); got.Status != structs.EvalStatusComplete {
		t.Fatalf("eval %+v", got)
	}
}

func TestMaxPlanAttempts(t *testing.T) {
	job := mock.Job()
	h := setup(t, 3, job)
	h.Planner.RejectNode = func(*structs.Plan, string) bool { return true }
	eval := mock.EvalFor(job)
	process(t, h, eval)
	nodes, _ := h.State.Nodes()
	if n := len(h.Planner.Plans()); n != 5 {
		t.Fatalf("submitted %d plans, want 5 attempts", n)
	}
	got := h.LastEval()
	created := h.Planner.Created()
	if got.Status != structs.EvalStatusFailed || len(created) != 1 || got.BlockedEval != created[0].ID {
		t.Fatalf("eval %+v, created %v", got, created)
	}
	// Blocked, not delayed: the server's periodic sweep of plan failures
	// or a capacity change on a usable class re-runs it.
	next := created[0]
	if next.Status != structs.EvalStatusBlocked || next.TriggeredBy != structs.EvalTriggerMaxPlans ||
		next.PreviousEval != eval.ID || !next.ClassEligibility[nodes[0].ComputedClass] {
		t.Fatalf("follow-up %+v", next)
	}
}

// TestDeterministic replays an evaluation on identical state: the node
// chosen for each name and the ports given must be the same.
func TestDeterministic(t *testing.T) {
	nodes := make([]*structs.Node, 20)
	for i := range nodes {
		nodes[i] = mock.Node()
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 30
	job.TaskGroups[0].Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http"}}}}
	eval := mock.EvalFor(job)
	run := func() map[string]string {
		h := schedtest.NewHarness(t)
		h.State.UpsertNode(nodes...)
		h.State.UpsertJob(job)
		process(t, h, eval)
		out := map[string]string{}
		for _, a := range schedtest.Placed(h.LastPlan()) {
			out[a.Name] = fmt.Sprintf("%s:%d", a.NodeID, a.AllocatedResources.Shared.Ports[0].Value)
		}
		return out
	}
	first, second := run(), run()
	if len(first) != 30 || !maps.Equal(first, second) {
		t.Fatalf("replay differs:\n%v\n%v", first, second)
	}
}
