package scheduler_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// sizedJob is a job of one group of count allocations asking cpu MHz and
// 64 MB each, so CPU alone decides what fits on a mock node (4,000 MHz).
func sizedJob(jobType string, priority, count, cpu int, ports ...int) *structs.Job {
	j := mock.Job()
	j.Type = jobType
	j.Priority = priority
	tg := j.TaskGroups[0]
	tg.Count = count
	tg.EphemeralDisk = &structs.EphemeralDisk{SizeMB: 10}
	tg.Tasks[0].Resources = &structs.Resources{CPU: cpu, MemoryMB: 64}
	if len(ports) > 0 {
		net := &structs.NetworkResource{}
		for _, p := range ports {
			net.ReservedPorts = append(net.ReservedPorts, structs.Port{Label: "p" + strconv.Itoa(p), Value: p})
		}
		tg.Networks = []*structs.NetworkResource{net}
	}
	return j
}

// victimSpec is a running allocation of its own job, named for assertions.
type victimSpec struct {
	name     string
	node     int
	priority int
	cpu      int
	port     int
}

// runVictims stores each spec as a running allocation of a job of its own
// and returns the allocation IDs by name.
func runVictims(h *schedtest.Harness, nodes []*structs.Node, specs []victimSpec) map[string]string {
	ids := make(map[string]string)
	for _, v := range specs {
		job := sizedJob(structs.JobTypeService, v.priority, 1, v.cpu)
		job.ID, job.Name = "victim-"+v.name, "victim-"+v.name
		h.State.UpsertJob(job)
		a := mock.AllocFor(job, nodes[v.node], 0)
		if v.port > 0 {
			a.AllocatedResources.Shared.Ports = []structs.PortMapping{{Label: "http", Value: v.port}}
		}
		h.State.UpsertAllocs(a)
		ids[a.ID] = v.name
	}
	return ids
}

func preemptHarness(t *testing.T, n int, cfg *structs.SchedulerConfiguration) (*schedtest.Harness, []*structs.Node) {
	t.Helper()
	h := schedtest.NewHarness(t)
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		nodes[i] = mock.Node()
		h.State.UpsertNode(nodes[i])
	}
	if cfg != nil {
		h.State.SetSchedulerConfig(cfg)
	}
	return h, nodes
}

// preemptAll enables preemption for every job type.
func preemptAll() *structs.SchedulerConfiguration {
	c := structs.DefaultSchedulerConfig()
	c.PreemptionConfig = structs.PreemptionConfig{
		SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: true,
		BatchSchedulerEnabled: true, ServiceSchedulerEnabled: true,
	}
	return c
}

func TestPreemption_ChoosesVictims(t *testing.T) {
	cases := []struct {
		name     string
		nodes    int
		victims  []victimSpec
		priority int
		cpu      int
		port     int
		// wantNode is the node index the allocation lands on, -1 for a
		// failed placement; wantEvicted names the victims, sorted.
		wantNode    int
		wantEvicted []string
	}{
		{
			name: "lowest priority first", nodes: 1, priority: 70, cpu: 1000,
			victims: []victimSpec{
				{name: "p40", priority: 40, cpu: 1000}, {name: "p20", priority: 20, cpu: 1000},
				{name: "p30", priority: 30, cpu: 1000}, {name: "p45", priority: 45, cpu: 1000},
			},
			wantNode: 0, wantEvicted: []string{"p20"},
		},
		{
			name: "never within the priority delta", nodes: 1, priority: 70, cpu: 1000,
			victims: []victimSpec{
				{name: "p61", priority: 61, cpu: 2000}, {name: "p65", priority: 65, cpu: 2000},
			},
			wantNode: -1,
		},
		{
			name: "exactly the delta is allowed", nodes: 1, priority: 70, cpu: 1000,
			victims: []victimSpec{
				{name: "p61", priority: 61, cpu: 2000}, {name: "p60", priority: 60, cpu: 2000},
			},
			wantNode: 0, wantEvicted: []string{"p60"},
		},
		{
			name: "smallest set within a priority", nodes: 1, priority: 70, cpu: 2000,
			victims: []victimSpec{
				{name: "small-a", priority: 20, cpu: 1000}, {name: "big", priority: 20, cpu: 2000},
				{name: "small-b", priority: 20, cpu: 1000},
			},
			wantNode: 0, wantEvicted: []string{"big"},
		},
		{
			name: "lower priorities before fewer allocations", nodes: 1, priority: 70, cpu: 2000,
			victims: []victimSpec{
				{name: "small-a", priority: 10, cpu: 1000}, {name: "big", priority: 30, cpu: 2000},
				{name: "small-b", priority: 10, cpu: 1000},
			},
			wantNode: 0, wantEvicted: []string{"small-a", "small-b"},
		},
		{
			name: "a victim the others make redundant is spared", nodes: 1, priority: 70, cpu: 2500,
			victims: []victimSpec{
				{name: "p10", priority: 10, cpu: 500}, {name: "p20", priority: 20, cpu: 3500},
			},
			// p10 alone frees 500 of 2,500: p20 is needed, and with it
			// p10 is not.
			wantNode: 0, wantEvicted: []string{"p20"},
		},
		{
			name: "not enough to evict", nodes: 1, priority: 70, cpu: 3000,
			victims: []victimSpec{
				{name: "p20", priority: 20, cpu: 2000}, {name: "p65", priority: 65, cpu: 2000},
			},
			wantNode: -1,
		},
		{
			name: "the holder of a wanted static port is evicted", nodes: 1, priority: 70, cpu: 100, port: 8080,
			victims: []victimSpec{
				{name: "p20-free", priority: 20, cpu: 500}, {name: "p40-port", priority: 40, cpu: 500, port: 8080},
			},
			// CPU fits without eviction; only the port is in the way.
			wantNode: 0, wantEvicted: []string{"p40-port"},
		},
		{
			name: "a static port held within the delta cannot be freed", nodes: 1, priority: 70, cpu: 100, port: 8080,
			victims: []victimSpec{
				{name: "p20", priority: 20, cpu: 500}, {name: "p65-port", priority: 65, cpu: 500, port: 8080},
			},
			wantNode: -1,
		},
		{
			name: "the node whose victims weigh least", nodes: 3, priority: 70, cpu: 2000,
			victims: []victimSpec{
				{name: "n0-p40", node: 0, priority: 40, cpu: 2000}, {name: "n0-p45", node: 0, priority: 45, cpu: 2000},
				{name: "n1-p20", node: 1, priority: 20, cpu: 2000}, {name: "n1-p50", node: 1, priority: 50, cpu: 2000},
				{name: "n2-p30", node: 2, priority: 30, cpu: 2000}, {name: "n2-p35", node: 2, priority: 35, cpu: 2000},
			},
			wantNode: 1, wantEvicted: []string{"n1-p20"},
		},
		{
			// Both nodes evict a total priority of 20; node 1 does it
			// with one allocation instead of two.
			name: "the node needing fewest evictions at equal total priority", nodes: 2, priority: 70, cpu: 2000,
			victims: []victimSpec{
				{name: "n0-a", node: 0, priority: 10, cpu: 1000}, {name: "n0-b", node: 0, priority: 10, cpu: 1000},
				{name: "n0-c", node: 0, priority: 10, cpu: 1000}, {name: "n0-d", node: 0, priority: 10, cpu: 1000},
				{name: "n1-a", node: 1, priority: 20, cpu: 2000}, {name: "n1-b", node: 1, priority: 30, cpu: 2000},
			},
			wantNode: 1, wantEvicted: []string{"n1-a"},
		},
		{
			name: "a node with room needs no preemption", nodes: 2, priority: 70, cpu: 2000,
			victims: []victimSpec{
				{name: "n0-a", node: 0, priority: 20, cpu: 4000}, {name: "n1-a", node: 1, priority: 20, cpu: 1000},
			},
			wantNode: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, nodes := preemptHarness(t, tc.nodes, preemptAll())
			names := runVictims(h, nodes, tc.victims)
			var ports []int
			if tc.port > 0 {
				ports = append(ports, tc.port)
			}
			job := sizedJob(structs.JobTypeService, tc.priority, 1, tc.cpu, ports...)
			h.State.UpsertJob(job)
			process(t, h, mock.EvalFor(job))

			plan := h.LastPlan()
			var placed []*structs.Allocation
			if plan != nil {
				placed = schedtest.Placed(plan)
			}
			if tc.wantNode < 0 {
				if len(placed) != 0 || (plan != nil && len(plan.NodePreemptions) != 0) {
					t.Fatalf("placed %d and preempted %v, want a failed placement", len(placed), plan.NodePreemptions)
				}
				if h.LastEval().FailedTGAllocs["web"] == nil {
					t.Fatalf("FailedTGAllocs = %v, want the group", h.LastEval().FailedTGAllocs)
				}
				return
			}
			if len(placed) != 1 || placed[0].NodeID != nodes[tc.wantNode].ID {
				t.Fatalf("placed %v, want one allocation on node %d", placed, tc.wantNode)
			}
			alloc := placed[0]
			var got []string
			for nodeID, evicted := range plan.NodePreemptions {
				for _, e := range evicted {
					got = append(got, names[e.ID])
					checkEvicted(t, e, alloc, nodeID)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.wantEvicted) {
				t.Fatalf("evicted %v, want %v", got, tc.wantEvicted)
			}
			if len(alloc.PreemptedAllocations) != len(tc.wantEvicted) {
				t.Fatalf("PreemptedAllocations = %v, want %d IDs", alloc.PreemptedAllocations, len(tc.wantEvicted))
			}
			if len(tc.wantEvicted) > 0 {
				if _, ok := alloc.Metrics.ScoreMetaData[0].Scores[feasible.ScorePreemption]; !ok {
					t.Fatalf("score metadata %v has no preemption score", alloc.Metrics.ScoreMetaData[0].Scores)
				}
			}
		})
	}
}

// checkEvicted asserts Nomad's fields on an evicted allocation, in the plan
// and once committed to state.
func checkEvicted(t *testing.T, e, by *structs.Allocation, nodeID string) {
	t.Helper()
	if e.NodeID != nodeID || e.DesiredStatus != structs.AllocDesiredStatusEvict ||
		e.DesiredDescription != "Preempted by alloc ID "+by.ID || e.PreemptedByAllocation != by.ID {
		t.Fatalf("evicted %s: node %s desired %q %q by %q, want evict by %s",
			e.ID, e.NodeID, e.DesiredStatus, e.DesiredDescription, e.PreemptedByAllocation, by.ID)
	}
	if !slices.Contains(by.PreemptedAllocations, e.ID) {
		t.Fatalf("PreemptedAllocations %v lacks %s", by.PreemptedAllocations, e.ID)
	}
}

func TestPreemption_PerJobType(t *testing.T) {
	off := structs.DefaultSchedulerConfig()
	off.PreemptionConfig.SystemSchedulerEnabled = false
	cases := []struct {
		name    string
		jobType string
		cfg     *structs.SchedulerConfiguration
		want    bool
	}{
		{"service off by default", structs.JobTypeService, nil, false},
		{"batch off by default", structs.JobTypeBatch, nil, false},
		{"sysbatch off by default", structs.JobTypeSysBatch, nil, false},
		{"system on by default", structs.JobTypeSystem, nil, true},
		{"system turned off", structs.JobTypeSystem, off, false},
		{"service turned on", structs.JobTypeService, preemptAll(), true},
		{"batch turned on", structs.JobTypeBatch, preemptAll(), true},
		{"sysbatch turned on", structs.JobTypeSysBatch, preemptAll(), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, nodes := preemptHarness(t, 1, tc.cfg)
			runVictims(h, nodes, []victimSpec{{name: "low", priority: 20, cpu: 4000}})
			job := sizedJob(tc.jobType, 80, 1, 1000)
			h.State.UpsertJob(job)
			process(t, h, mock.EvalFor(job))

			live := liveAllocs(h)
			preempted := len(live) == 1 && live[0].JobID == job.ID
			if preempted != tc.want {
				t.Fatalf("live allocations %v: preempted %v, want %v", live, preempted, tc.want)
			}
			if tc.want {
				return
			}
			eval := h.LastEval()
			if eval.FailedTGAllocs["web"] == nil || eval.FailedTGAllocs["web"].DimensionExhausted[feasible.DimensionCPU] != 1 {
				t.Fatalf("FailedTGAllocs = %v, want web exhausted on cpu", eval.FailedTGAllocs)
			}
			created := h.Planner.Created()
			if len(created) != 1 || created[0].Status != structs.EvalStatusBlocked {
				t.Fatalf("created %v, want one blocked eval", created)
			}
		})
	}
}

// TestPreemption_SeveralPlacements places a count-3 job on one full node:
// each placement evicts one more victim, never one an earlier placement of
// the evaluation already evicted.
func TestPreemption_SeveralPlacements(t *testing.T) {
	h, nodes := preemptHarness(t, 1, preemptAll())
	runVictims(h, nodes, []victimSpec{
		{name: "a", priority: 10, cpu: 1000}, {name: "b", priority: 20, cpu: 1000},
		{name: "c", priority: 30, cpu: 1000}, {name: "d", priority: 40, cpu: 1000},
	})
	job := sizedJob(structs.JobTypeService, 90, 3, 1000)
	h.State.UpsertJob(job)
	process(t, h, mock.EvalFor(job))

	plan := h.LastPlan()
	evicted := plan.NodePreemptions[nodes[0].ID]
	if len(schedtest.Placed(plan)) != 3 || len(evicted) != 3 {
		t.Fatalf("placed %d, evicted %d, want 3 and 3", len(schedtest.Placed(plan)), len(evicted))
	}
	var jobs []string
	for _, e := range evicted {
		jobs = append(jobs, e.JobID)
	}
	slices.Sort(jobs)
	if want := []string{"victim-a", "victim-b", "victim-c"}; !slices.Equal(jobs, want) {
		t.Fatalf("evicted %v, want the three lowest priorities %v", jobs, want)
	}
	for _, a := range liveAllocs(h) {
		if a.JobID == "victim-a" || a.JobID == "victim-b" || a.JobID == "victim-c" {
			t.Fatalf("victim %s still live in state after the commit", a.JobID)
		}
	}
}
