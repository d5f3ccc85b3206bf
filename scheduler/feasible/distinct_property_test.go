package feasible

import (
	"errors"
	"maps"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

const rackTarget = "${meta.rack}"

var (
	rackFull  = DistinctPropertyReason(rackTarget)
	rackUnset = DistinctPropertyReason(rackTarget) + " not set"
)

// propertyFixture is one distinct_property scenario: a job with groups
// "web" and "api", nodes in racks, and allocations already in state.
type propertyFixture struct {
	job      *structs.Job
	nodes    []*structs.Node
	existing []*structs.Allocation
	ctx      *Context
	stack    *Stack
}

// existingAlloc describes an allocation in state: its group, the rack of
// the node it runs on, and whether it belongs to another job or finished.
type existingAlloc struct {
	group, rack     string
	otherJob, ended bool
}

// placeStep places allocations of group until one fails, or at most limit
// when limit > 0; before, when set, changes the plan first.
type placeStep struct {
	group  string
	limit  int
	before func(f *propertyFixture)
}

func stopExisting(i int) func(*propertyFixture) {
	return func(f *propertyFixture) { f.ctx.AddStopped(f.existing[i], "test", "") }
}

func constrainJob(rtarget string) func(*structs.Job) {
	return func(j *structs.Job) {
		j.Constraints = append(j.Constraints, &structs.Constraint{LTarget: rackTarget, Operand: OpDistinctProperty, RTarget: rtarget})
	}
}

func constrainGroups(rtarget string) func(*structs.Job) {
	return func(j *structs.Job) {
		for _, tg := range j.TaskGroups {
			tg.Constraints = append(tg.Constraints, &structs.Constraint{LTarget: rackTarget, Operand: OpDistinctProperty, RTarget: rtarget})
		}
	}
}

func constrainTasks(rtarget string) func(*structs.Job) {
	return func(j *structs.Job) {
		for _, tg := range j.TaskGroups {
			t := tg.Tasks[0]
			t.Constraints = append(t.Constraints, &structs.Constraint{LTarget: rackTarget, Operand: OpDistinctProperty, RTarget: rtarget})
		}
	}
}

func TestDistinctProperty(t *testing.T) {
	sixNodes := []string{"r1", "r1", "r2", "r2", "r3", "r3"}
	untilFull := func(group string) []placeStep { return []placeStep{{group: group}} }
	cases := []struct {
		name      string
		racks     []string // one node per entry; "" leaves the rack unset
		constrain func(*structs.Job)
		existing  []existingAlloc
		steps     []placeStep
		// wantRacks counts the new placements per rack, all groups together.
		wantRacks map[string]int
		wantGroup map[string]int
		// wantFiltered is ConstraintFiltered of the last, failed, step.
		wantFiltered map[string]int
	}{
		{
			name: "group limit 1", racks: sixNodes, constrain: constrainGroups(""), steps: untilFull("web"),
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "group limit 2", racks: sixNodes, constrain: constrainGroups("2"), steps: untilFull("web"),
			wantRacks: map[string]int{"r1": 2, "r2": 2, "r3": 2}, wantGroup: map[string]int{"web": 6},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "group limit counts each group apart", racks: sixNodes, constrain: constrainGroups("1"),
			steps:     []placeStep{{group: "web"}, {group: "api"}},
			wantRacks: map[string]int{"r1": 2, "r2": 2, "r3": 2}, wantGroup: map[string]int{"web": 3, "api": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "task level acts as group level", racks: sixNodes, constrain: constrainTasks("2"),
			steps:     []placeStep{{group: "web"}, {group: "api"}},
			wantRacks: map[string]int{"r1": 4, "r2": 4, "r3": 4}, wantGroup: map[string]int{"web": 6, "api": 6},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "job limit 1 spans groups", racks: sixNodes, constrain: constrainJob(""),
			steps:     []placeStep{{group: "web", limit: 2}, {group: "api"}},
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 2, "api": 1},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "job limit 2 spans groups", racks: sixNodes, constrain: constrainJob("2"),
			steps:     []placeStep{{group: "web", limit: 4}, {group: "api"}},
			wantRacks: map[string]int{"r1": 2, "r2": 2, "r3": 2}, wantGroup: map[string]int{"web": 4, "api": 2},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "existing allocations count", racks: sixNodes, constrain: constrainGroups("1"),
			existing: []existingAlloc{{group: "web", rack: "r1"}}, steps: untilFull("web"),
			wantRacks: map[string]int{"r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 2},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "existing allocations up to the limit", racks: sixNodes, constrain: constrainGroups("2"),
			existing:  []existingAlloc{{group: "web", rack: "r1"}, {group: "web", rack: "r1"}, {group: "web", rack: "r2"}},
			steps:     untilFull("web"),
			wantRacks: map[string]int{"r2": 1, "r3": 2}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "another group's allocations do not count at group level", racks: sixNodes, constrain: constrainGroups("1"),
			existing: []existingAlloc{{group: "api", rack: "r1"}}, steps: untilFull("web"),
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "another group's allocations count at job level", racks: sixNodes, constrain: constrainJob("1"),
			existing: []existingAlloc{{group: "api", rack: "r1"}}, steps: untilFull("web"),
			wantRacks: map[string]int{"r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 2},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "another job's allocations do not count", racks: sixNodes, constrain: constrainJob("1"),
			existing: []existingAlloc{{group: "web", rack: "r1", otherJob: true}}, steps: untilFull("web"),
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "finished allocations do not count", racks: sixNodes, constrain: constrainGroups("1"),
			existing: []existingAlloc{{group: "web", rack: "r1", ended: true}}, steps: untilFull("web"),
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "stopped before counting frees its rack", racks: sixNodes, constrain: constrainGroups("1"),
			existing:  []existingAlloc{{group: "web", rack: "r1"}},
			steps:     []placeStep{{group: "web", before: stopExisting(0)}},
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "stopped after counting frees its rack", racks: sixNodes, constrain: constrainGroups("1"),
			existing:  []existingAlloc{{group: "web", rack: "r1"}},
			steps:     []placeStep{{group: "web"}, {group: "web", before: stopExisting(0)}},
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "in-place update counts once", racks: sixNodes, constrain: constrainGroups("2"),
			existing: []existingAlloc{{group: "web", rack: "r1"}},
			steps: []placeStep{{group: "web", before: func(f *propertyFixture) {
				updated := *f.existing[0]
				updated.EvalID = "eval"
				f.ctx.AddUpdated(&updated)
			}}},
			wantRacks: map[string]int{"r1": 1, "r2": 2, "r3": 2}, wantGroup: map[string]int{"web": 5},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "in-place update after counting counts once", racks: sixNodes, constrain: constrainGroups("3"),
			existing: []existingAlloc{{group: "web", rack: "r1"}},
			steps: []placeStep{{group: "web", limit: 1}, {group: "web", before: func(f *propertyFixture) {
				updated := *f.existing[0]
				updated.EvalID = "eval"
				f.ctx.AddUpdated(&updated)
			}}},
			wantRacks: map[string]int{"r1": 2, "r2": 3, "r3": 3}, wantGroup: map[string]int{"web": 8},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "update of a stopped allocation leaves it stopped", racks: sixNodes, constrain: constrainGroups("1"),
			existing: []existingAlloc{{group: "web", rack: "r1"}},
			steps: []placeStep{{group: "web", limit: 1}, {group: "web", before: func(f *propertyFixture) {
				f.ctx.AddStopped(f.existing[0], "test", "")
				updated := *f.existing[0]
				updated.EvalID = "eval"
				f.ctx.AddUpdated(&updated)
			}}},
			wantRacks: map[string]int{"r1": 1, "r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 3},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "placements of the plan before counting count", racks: sixNodes, constrain: constrainGroups("1"),
			steps: []placeStep{{group: "web", before: func(f *propertyFixture) {
				a := mock.AllocFor(f.job, f.nodes[0], 0)
				a.ClientStatus = structs.AllocClientStatusPending
				f.ctx.AddPlaced(a)
			}}},
			wantRacks: map[string]int{"r2": 1, "r3": 1}, wantGroup: map[string]int{"web": 2},
			wantFiltered: map[string]int{rackFull: 6},
		},
		{
			name: "nodes without the property are filtered", racks: []string{"r1", "", "r2", ""}, constrain: constrainGroups("1"),
			steps:     untilFull("web"),
			wantRacks: map[string]int{"r1": 1, "r2": 1}, wantGroup: map[string]int{"web": 2},
			wantFiltered: map[string]int{rackFull: 2, rackUnset: 2},
		},
		{
			name: "no node has the property", racks: []string{"", ""}, constrain: constrainJob(""),
			steps: untilFull("web"), wantRacks: map[string]int{}, wantGroup: map[string]int{},
			wantFiltered: map[string]int{rackUnset: 2},
		},
		{
			name: "invalid value filters every node", racks: sixNodes, constrain: constrainGroups("0"),
			steps: untilFull("web"), wantRacks: map[string]int{}, wantGroup: map[string]int{},
			wantFiltered: map[string]int{rackFull + `: value "0" is not a whole number of at least 1`: 6},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newPropertyFixture(t, tc.racks, tc.constrain, tc.existing)
			gotRacks, gotGroup := map[string]int{}, map[string]int{}
			var last *structs.AllocMetric
			for _, step := range tc.steps {
				if step.before != nil {
					step.before(f)
				}
				placed, m := f.place(t, step.group, step.limit)
				for _, a := range placed {
					gotRacks[f.rackOf(a.NodeID)]++
					gotGroup[a.TaskGroup]++
				}
				last = m
			}
			if !maps.Equal(gotRacks, tc.wantRacks) || !maps.Equal(gotGroup, tc.wantGroup) {
				t.Fatalf("placed per rack %v per group %v, want %v and %v", gotRacks, gotGroup, tc.wantRacks, tc.wantGroup)
			}
			if last == nil {
				t.Fatal("the last step did not fail")
			}
			if !maps.Equal(last.ConstraintFiltered, tc.wantFiltered) {
				t.Fatalf("ConstraintFiltered = %v, want %v", last.ConstraintFiltered, tc.wantFiltered)
			}
			if last.NodesFiltered != len(tc.racks) {
				t.Fatalf("NodesFiltered = %d, want every node (%d)", last.NodesFiltered, len(tc.racks))
			}
		})
	}
}

func newPropertyFixture(t *testing.T, racks []string, constrain func(*structs.Job), existing []existingAlloc) *propertyFixture {
	t.Helper()
	f := &propertyFixture{job: mock.Job()}
	api := mock.Job().TaskGroups[0]
	api.Name = "api"
	f.job.TaskGroups = append(f.job.TaskGroups, api)
	constrain(f.job)
	for _, rack := range racks {
		n := mock.Node()
		delete(n.Meta, "rack")
		if rack != "" {
			n.Meta["rack"] = rack
		}
		f.nodes = append(f.nodes, n)
	}
	other := mock.Job()
	for i, e := range existing {
		job := f.job
		if e.otherJob {
			job = other
		}
		a := mock.AllocFor(job, f.nodeInRack(t, e.rack), i)
		a.TaskGroup = e.group
		if e.ended {
			a.ClientStatus = structs.AllocClientStatusComplete
		}
		f.existing = append(f.existing, a)
	}
	f.ctx = newTestContext(t, f.job, newFakeState(f.nodes, f.existing...))
	f.stack = NewStack(f.ctx, f.job, NewCandidates(f.job, f.nodes), 0)
	return f
}

func (f *propertyFixture) nodeInRack(t *testing.T, rack string) *structs.Node {
	for _, n := range f.nodes {
		if n.Meta["rack"] == rack {
			return n
		}
	}
	t.Fatalf("no node in rack %q", rack)
	return nil
}

func (f *propertyFixture) rackOf(nodeID string) string {
	for _, n := range f.nodes {
		if n.ID == nodeID {
			return n.Meta["rack"]
		}
	}
	return "?"
}

// place selects and records allocations of group until one fails, or limit
// of them when limit > 0. It returns the placements and the failure metric,
// nil when limit were placed.
func (f *propertyFixture) place(t *testing.T, group string, limit int) ([]*structs.Allocation, *structs.AllocMetric) {
	t.Helper()
	var tg *structs.TaskGroup
	for _, g := range f.job.TaskGroups {
		if g.Name == group {
			tg = g
		}
	}
	var out []*structs.Allocation
	// Far more than any case can place: a bound, not an expectation.
	for i := 0; i < 50 && (limit == 0 || i < limit); i++ {
		opt, m, err := f.stack.Select(tg)
		if err != nil {
			t.Fatalf("select: %v", err)
		}
		if opt == nil {
			return out, m
		}
		a := &structs.Allocation{
			ID: mock.Eval().ID, Namespace: f.job.Namespace, JobID: f.job.ID, Job: f.job,
			TaskGroup: tg.Name, NodeID: opt.Node.ID, AllocatedResources: opt.Resources,
			DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		}
		f.ctx.AddPlaced(a)
		out = append(out, a)
	}
	if limit == 0 {
		t.Fatalf("placed %d allocations without a failure", len(out))
	}
	return out, nil
}

// errJobAllocs fails the job's allocation listing.
type errJobAllocs struct{ fakeState }

var errStateRead = errors.New("state read failed")

func (errJobAllocs) AllocsByJob(string, string) ([]*structs.Allocation, error) {
	return nil, errStateRead
}

func TestDistinctPropertyStateError(t *testing.T) {
	job := mock.Job()
	constrainGroups("1")(job)
	nodes := []*structs.Node{mock.Node()}
	ctx := newTestContext(t, job, errJobAllocs{newFakeState(nodes)})
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
	if opt, _, err := stack.Select(job.TaskGroups[0]); !errors.Is(err, errStateRead) || opt != nil {
		t.Fatalf("got (%v, %v), want the state error", opt, err)
	}
}

func TestDistinctPropertyIsNotANodeConstraint(t *testing.T) {
	ctx := newTestContext(t, mock.Job(), nil)
	c := &structs.Constraint{LTarget: rackTarget, Operand: OpDistinctProperty, RTarget: "1"}
	cc := NewConstraintChecker(ctx, []*structs.Constraint{c})
	node := mock.Node()
	delete(node.Meta, "rack")
	if ok, reason := cc.Feasible(node); !ok {
		t.Fatalf("constraint checker rejected with %q; distinct_property has its own checker", reason)
	}
}
