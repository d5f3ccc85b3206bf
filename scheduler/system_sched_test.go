package scheduler_test

import (
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

func systemJob(jobType string) *structs.Job {
	j := mock.Job()
	j.Type = jobType
	j.TaskGroups[0].Count = 1
	return j
}

// liveByNode counts the live allocations of the harness per node.
func liveByNode(h *schedtest.Harness) map[string]int {
	out := make(map[string]int)
	for _, a := range liveAllocs(h) {
		out[a.NodeID]++
	}
	return out
}

func TestSystemCoversEligibleNodes(t *testing.T) {
	job := systemJob(structs.JobTypeSystem)
	h := setup(t, 4, job)
	otherDC := mock.Node()
	otherDC.Datacenter = "dc2"
	noDriver := mock.Node()
	delete(noDriver.Drivers, "raw_exec")
	noDriver.Attributes["driver.raw_exec"] = "false"
	ineligible := mock.Node()
	ineligible.SchedulingEligibility = structs.NodeSchedulingIneligible
	h.State.UpsertNode(otherDC, noDriver, ineligible)

	process(t, h, mock.EvalFor(job))

	got := liveByNode(h)
	if len(got) != 4 {
		t.Fatalf("allocations on %d nodes, want the 4 eligible ones: %v", len(got), got)
	}
	for _, excluded := range []*structs.Node{otherDC, noDriver, ineligible} {
		if got[excluded.ID] != 0 {
			t.Errorf("node %s got an allocation", excluded.Name)
		}
	}
	for node, n := range got {
		if n != 1 {
			t.Errorf("node %s has %d allocations, want 1", node, n)
		}
	}
	eval := h.LastEval()
	if eval.Status != structs.EvalStatusComplete || len(eval.FailedTGAllocs) != 0 {
		t.Fatalf("eval %s with failures %v: a node a constraint rules out is not a failed placement",
			eval.Status, eval.FailedTGAllocs)
	}
	if len(h.Planner.Created()) != 0 {
		t.Fatalf("created evals %v, want none", h.Planner.Created())
	}

	// A second evaluation of an unchanged cluster changes nothing.
	plans := len(h.Planner.Plans())
	process(t, h, mock.EvalFor(job))
	if len(h.Planner.Plans()) != plans {
		t.Fatalf("re-evaluation submitted plan %+v", h.LastPlan())
	}
}

func TestSystemNodeChanges(t *testing.T) {
	cases := []struct {
		name       string
		change     func(*structs.Node)
		wantStatus string
		wantDesc   string
	}{
		{"ineligible", func(n *structs.Node) { n.SchedulingEligibility = structs.NodeSchedulingIneligible },
			structs.AllocClientStatusPending, scheduler.DescNodeIneligible},
		{"draining", func(n *structs.Node) { n.Drain = true },
			structs.AllocClientStatusPending, scheduler.DescNodeIneligible},
		{"down", func(n *structs.Node) { n.Status = structs.NodeStatusDown },
			structs.AllocClientStatusLost, "alloc is lost since its node is down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := systemJob(structs.JobTypeSystem)
			h := setup(t, 3, job)
			process(t, h, mock.EvalFor(job))

			joined := mock.Node()
			h.State.UpsertNode(joined)
			eval := mock.EvalFor(job)
			eval.TriggeredBy, eval.NodeID = structs.EvalTriggerNodeUpdate, joined.ID
			process(t, h, eval)
			placed := schedtest.Placed(h.LastPlan())
			if len(placed) != 1 || placed[0].NodeID != joined.ID || len(schedtest.Stopped(h.LastPlan())) != 0 {
				t.Fatalf("node join planned %d placements (%v), want one on the new node and no stops",
					len(placed), placed)
			}

			changed := joined.Copy()
			tc.change(changed)
			h.State.UpsertNode(changed)
			process(t, h, mock.EvalFor(job))
			stopped := schedtest.Stopped(h.LastPlan())
			if len(stopped) != 1 || stopped[0].NodeID != joined.ID {
				t.Fatalf("stopped %v, want the allocation of the changed node", stopped)
			}
			if stopped[0].DesiredDescription != tc.wantDesc || stopped[0].ClientStatus != tc.wantStatus {
				t.Fatalf("stop (%q, %s), want (%q, %s)", stopped[0].DesiredDescription,
					stopped[0].ClientStatus, tc.wantDesc, tc.wantStatus)
			}
			if got := liveByNode(h); len(got) != 3 || got[joined.ID] != 0 {
				t.Fatalf("live allocations per node %v, want one on each of the 3 others", got)
			}
		})
	}
}

func TestSystemNodeLackingResources(t *testing.T) {
	job := systemJob(structs.JobTypeSystem)
	h := setup(t, 2, job)
	small := mock.Node()
	small.NodeResources.Memory.MemoryMB = 100
	small.NodeClass = "tiny"
	h.State.UpsertNode(small)

	process(t, h, mock.EvalFor(job))

	if got := liveByNode(h); len(got) != 2 || got[small.ID] != 0 {
		t.Fatalf("live allocations per node %v, want the 2 large nodes only", got)
	}
	eval := h.LastEval()
	m := eval.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("FailedTGAllocs = %v, want web", eval.FailedTGAllocs)
	}
	if m.NodesExhausted != 1 || m.DimensionExhausted[feasible.DimensionMemory] != 1 || m.ClassExhausted["tiny"] != 1 {
		t.Fatalf("metric exhausted %d %v %v, want 1 node on memory of class tiny",
			m.NodesExhausted, m.DimensionExhausted, m.ClassExhausted)
	}
	if eval.QueuedAllocations["web"] != 1 {
		t.Fatalf("QueuedAllocations = %v, want web: 1", eval.QueuedAllocations)
	}
	created := h.Planner.Created()
	if len(created) != 1 || created[0].Status != structs.EvalStatusBlocked || eval.BlockedEval != created[0].ID {
		t.Fatalf("created %v, want one blocked eval linked from the eval", created)
	}
}

func TestSysBatchRunsOncePerNode(t *testing.T) {
	job := systemJob(structs.JobTypeSysBatch)
	h := setup(t, 3, job)
	process(t, h, mock.EvalFor(job))
	first := liveAllocs(h)
	if len(first) != 3 {
		t.Fatalf("%d allocations, want 3", len(first))
	}
	var failedNode string
	for i, a := range first {
		done := *a
		done.ClientStatus = structs.AllocClientStatusComplete
		if i == 0 {
			done.ClientStatus = structs.AllocClientStatusFailed
			failedNode = a.NodeID
		}
		h.State.UpsertAllocs(&done)
	}

	process(t, h, mock.EvalFor(job))

	placed := schedtest.Placed(h.LastPlan())
	if len(placed) != 1 || placed[0].NodeID != failedNode {
		t.Fatalf("placed %v, want a new run only on the node whose run failed", placed)
	}
	if n := len(schedtest.Stopped(h.LastPlan())); n != 0 {
		t.Fatalf("stopped %d allocations, want none", n)
	}

	// A new version runs again everywhere, completed nodes included.
	next := register(h, job, func(j *structs.Job) { j.TaskGroups[0].Tasks = []*structs.Task{withArgs(j, "2000")} })
	process(t, h, mock.EvalFor(next))
	if got := liveByNode(h); len(got) != 3 {
		t.Fatalf("live allocations per node %v after a new version, want one on each node", got)
	}
}

func withArgs(j *structs.Job, arg string) *structs.Task {
	t := *j.TaskGroups[0].Tasks[0]
	t.Config = map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{arg}}
	return &t
}

func TestSystemJobUpdateAndStop(t *testing.T) {
	job := systemJob(structs.JobTypeSystem)
	h := setup(t, 3, job)
	process(t, h, mock.EvalFor(job))
	before := liveByNode(h)

	next := register(h, job, func(j *structs.Job) { j.TaskGroups[0].Tasks = []*structs.Task{withArgs(j, "2000")} })
	process(t, h, mock.EvalFor(next))
	if n := len(schedtest.Stopped(h.LastPlan())); n != 3 {
		t.Fatalf("destructive update stopped %d allocations, want 3", n)
	}
	after := liveByNode(h)
	for node := range before {
		if after[node] != 1 {
			t.Fatalf("node %s has %d live allocations after the update, want 1", node, after[node])
		}
	}
	for _, a := range liveAllocs(h) {
		if a.Job.Version != next.Version {
			t.Fatalf("allocation %s runs version %d, want %d", a.ID, a.Job.Version, next.Version)
		}
	}

	stopped := register(h, next, func(j *structs.Job) { j.Stop = true })
	process(t, h, mock.EvalFor(stopped))
	if n := len(liveAllocs(h)); n != 0 {
		t.Fatalf("%d live allocations after stopping the job, want 0", n)
	}
}
