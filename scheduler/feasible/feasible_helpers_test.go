package feasible

import (
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeAllocs is a minimal AllocSource: the feasible package cannot use
// schedtest, which imports the scheduler that imports this package.
type fakeAllocs map[string][]*structs.Allocation

func (f fakeAllocs) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	return f[nodeID], nil
}

func (f fakeAllocs) AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error) {
	var out []*structs.Allocation
	for _, allocs := range f {
		for _, a := range allocs {
			if a.Namespace == namespace && a.JobID == jobID {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// NodeByID knows no nodes; tests that need them use fakeState.
func (f fakeAllocs) NodeByID(string) (*structs.Node, error) { return nil, nil }

// fakeState adds nodes to fakeAllocs.
type fakeState struct {
	fakeAllocs
	nodes map[string]*structs.Node
}

func newFakeState(nodes []*structs.Node, allocs ...*structs.Allocation) fakeState {
	f := fakeState{fakeAllocs: fakeAllocs{}, nodes: make(map[string]*structs.Node, len(nodes))}
	for _, n := range nodes {
		f.nodes[n.ID] = n
	}
	for _, a := range allocs {
		f.fakeAllocs[a.NodeID] = append(f.fakeAllocs[a.NodeID], a)
	}
	return f
}

func (f fakeState) NodeByID(id string) (*structs.Node, error) { return f.nodes[id], nil }

// newTestContext plans job against existing; nil means an empty cluster.
func newTestContext(t *testing.T, job *structs.Job, existing AllocSource) *Context {
	t.Helper()
	if existing == nil {
		existing = fakeAllocs{}
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: t.Name(), Output: testWriter{t}, Level: hclog.Debug})
	plan := &structs.Plan{EvalID: "eval", Job: job}
	return NewContext(logger, existing, plan, job, rand.New(rand.NewPCG(1, 2)))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// placeAll selects and records n placements of the job's first group,
// failing the test when one finds no node.
func placeAll(t *testing.T, ctx *Context, stack *Stack, job *structs.Job, n int) []*structs.Allocation {
	t.Helper()
	tg := job.TaskGroups[0]
	var out []*structs.Allocation
	for i := range n {
		opt, m, err := stack.Select(tg)
		if err != nil {
			t.Fatalf("select %d: %v", i, err)
		}
		if opt == nil {
			t.Fatalf("select %d found no node: %+v", i, m)
		}
		a := &structs.Allocation{
			ID: mock.Eval().ID, Namespace: job.Namespace, JobID: job.ID, Job: job,
			TaskGroup: tg.Name, NodeID: opt.Node.ID, AllocatedResources: opt.Resources,
			DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		}
		ctx.AddPlaced(a)
		out = append(out, a)
	}
	return out
}
