package feasible

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// The tests here check the one rule of ports: no host port is held twice on
// a node, whoever holds it, and no dynamic port is one the operator
// reserved or lies outside the node's range. They read the granted ports
// with their own walk of AllocatedResources (heldPorts), not the code
// under test.

// portNode is a mock node whose dynamic range is lo-hi and whose operator
// reserved the given ports.
func portNode(lo, hi int, reserved string) *structs.Node {
	n := mock.Node()
	n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = lo, hi
	n.ReservedResources.Networks.ReservedHostPorts = reserved
	return n
}

// portJob is a job whose group asks for the given static ports (label
// "s<i>") and n dynamic ones, with resources small enough that ports
// are the only limit.
func portJob(static []int, dynamic int) *structs.Job {
	job := mock.Job()
	tg := job.TaskGroups[0]
	tg.Tasks[0].Resources = &structs.Resources{CPU: 1, MemoryMB: 1}
	tg.EphemeralDisk.SizeMB = 1
	n := &structs.NetworkResource{}
	for i, p := range static {
		n.ReservedPorts = append(n.ReservedPorts, structs.Port{Label: fmt.Sprintf("s%d", i), Value: p})
	}
	for i := range dynamic {
		n.DynamicPorts = append(n.DynamicPorts, structs.Port{Label: fmt.Sprintf("d%d", i)})
	}
	tg.Networks = []*structs.NetworkResource{n}
	return job
}

type heldPort struct {
	value   int
	dynamic bool
}

// heldPorts lists every host port a grant holds, walking the networks of
// the group and of each task.
func heldPorts(ar *structs.AllocatedResources) []heldPort {
	var out []heldPort
	walk := func(nets []*structs.NetworkResource) {
		for _, n := range nets {
			for _, p := range n.ReservedPorts {
				out = append(out, heldPort{p.Value, false})
			}
			for _, p := range n.DynamicPorts {
				out = append(out, heldPort{p.Value, true})
			}
		}
	}
	walk(ar.Shared.Networks)
	for _, t := range ar.Tasks {
		walk(t.Networks)
	}
	return out
}

// checkPortRule fails the test when a port is held twice on a node, or a
// dynamic port is reserved by the operator or outside the node's range.
func checkPortRule(t *testing.T, nodes []*structs.Node, allocs []*structs.Allocation) {
	t.Helper()
	byID := make(map[string]*structs.Node, len(nodes))
	for _, n := range nodes {
		byID[n.ID] = n
	}
	owner := make(map[string]string)
	for _, a := range allocs {
		n := byID[a.NodeID]
		reserved := ParsePortList(n.ReservedResources.Networks.ReservedHostPorts)
		for _, p := range heldPorts(a.AllocatedResources) {
			key := fmt.Sprintf("%s:%d", a.NodeID, p.value)
			if prev, dup := owner[key]; dup {
				t.Fatalf("port %d on node %s held by %s and %s", p.value, a.NodeID, prev, a.ID)
			}
			owner[key] = a.ID
			if !p.dynamic {
				continue
			}
			if slices.Contains(reserved, p.value) {
				t.Fatalf("dynamic port %d of %s is reserved on node %s", p.value, a.ID, a.NodeID)
			}
			r := n.NodeResources
			if p.value < r.MinDynamicPort || p.value > r.MaxDynamicPort {
				t.Fatalf("dynamic port %d of %s is outside %d-%d", p.value, a.ID, r.MinDynamicPort, r.MaxDynamicPort)
			}
		}
	}
}

// selectN places up to n allocations of the job's group, stopping at the
// first that finds no node; it returns the placements and that failure's
// metric (nil when all n were placed).
func selectN(t *testing.T, ctx *Context, stack *Stack, job *structs.Job, n int) ([]*structs.Allocation, *structs.AllocMetric) {
	t.Helper()
	tg := job.TaskGroups[0]
	var out []*structs.Allocation
	for i := range n {
		opt, m, err := stack.Select(tg)
		if err != nil {
			t.Fatal(err)
		}
		if opt == nil {
			return out, m
		}
		a := &structs.Allocation{
			ID: fmt.Sprintf("%s-%d", job.ID, i), Namespace: job.Namespace, JobID: job.ID, Job: job,
			TaskGroup: tg.Name, NodeID: opt.Node.ID, AllocatedResources: opt.Resources,
			DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		}
		ctx.AddPlaced(a)
		out = append(out, a)
	}
	return out, nil
}

func TestPortContention(t *testing.T) {
	tiny := func() *structs.Node { return portNode(30000, 30002, "") }
	cases := []struct {
		name  string
		nodes []*structs.Node
		job   *structs.Job
		// existing allocations of another job, given the node list.
		existing func([]*structs.Node) []*structs.Allocation
		want     int
		// wantDims are the exhausted dimensions of the failed placement.
		wantDims map[string]int
	}{
		{
			name: "a range of 3 ports holds 3 allocations", nodes: []*structs.Node{tiny()}, job: portJob(nil, 1),
			want: 3, wantDims: map[string]int{DimensionDynamicPorts: 1},
		},
		{
			name: "the 4th allocation goes to the other node", nodes: []*structs.Node{tiny(), tiny()}, job: portJob(nil, 1),
			want: 6, wantDims: map[string]int{DimensionDynamicPorts: 2},
		},
		{
			name: "two dynamic ports per allocation", nodes: []*structs.Node{portNode(30000, 30004, "")}, job: portJob(nil, 2),
			want: 2, wantDims: map[string]int{DimensionDynamicPorts: 1},
		},
		{
			name: "reserved ports are never handed out", nodes: []*structs.Node{portNode(30000, 30004, "30001,30003")}, job: portJob(nil, 1),
			want: 3, wantDims: map[string]int{DimensionDynamicPorts: 1},
		},
		{
			name: "a static port once per node", nodes: []*structs.Node{mock.Node(), mock.Node(), mock.Node()}, job: portJob([]int{8080}, 0),
			want: 3, wantDims: map[string]int{"network: reserved port collision s0=8080": 3},
		},
		{
			name: "a static port the operator reserved", nodes: []*structs.Node{portNode(20000, 32000, "22,8000-8100")}, job: portJob([]int{8080}, 0),
			want: 0, wantDims: map[string]int{"network: reserved port collision s0=8080": 1},
		},
		{
			name: "a static port in the dynamic range is not handed out again", nodes: []*structs.Node{tiny()}, job: portJob([]int{30001}, 2),
			want: 1, wantDims: map[string]int{"network: reserved port collision s0=30001": 1},
		},
		{
			name: "dynamic ports avoid a static port asked with them", nodes: []*structs.Node{tiny()}, job: portJob([]int{30001}, 3),
			want: 0, wantDims: map[string]int{DimensionDynamicPorts: 1},
		},
		{
			name: "ports of existing allocations", nodes: []*structs.Node{tiny()}, job: portJob(nil, 1),
			existing: func(nodes []*structs.Node) []*structs.Allocation {
				a := mock.AllocFor(mock.Job(), nodes[0], 0)
				a.AllocatedResources.Shared.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "x", Value: 30000}}}}
				a.AllocatedResources.Tasks["web"].Networks = []*structs.NetworkResource{{ReservedPorts: []structs.Port{{Label: "y", Value: 30002}}}}
				return []*structs.Allocation{a}
			},
			want: 1, wantDims: map[string]int{DimensionDynamicPorts: 1},
		},
		{
			name: "a static port held by another job", nodes: []*structs.Node{mock.Node(), mock.Node()}, job: portJob([]int{9000}, 0),
			existing: func(nodes []*structs.Node) []*structs.Allocation {
				a := mock.AllocFor(mock.Job(), nodes[1], 0)
				a.AllocatedResources.Shared.Ports = []structs.PortMapping{{Label: "x", Value: 9000}}
				return []*structs.Allocation{a}
			},
			want: 1, wantDims: map[string]int{"network: reserved port collision s0=9000": 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var existing []*structs.Allocation
			if tc.existing != nil {
				existing = tc.existing(tc.nodes)
			}
			ctx := newTestContext(t, tc.job, newFakeState(tc.nodes, existing...))
			stack := NewStack(ctx, tc.job, NewCandidates(tc.job, tc.nodes), 0)
			placed, m := selectN(t, ctx, stack, tc.job, tc.want+1)
			if len(placed) != tc.want {
				t.Fatalf("placed %d, want %d (failure %+v)", len(placed), tc.want, m)
			}
			if m == nil || fmt.Sprint(m.DimensionExhausted) != fmt.Sprint(tc.wantDims) {
				t.Fatalf("failed placement's dimensions %v, want %v", m.DimensionExhausted, tc.wantDims)
			}
			checkPortRule(t, tc.nodes, append(existing, placed...))
		})
	}
}

// Two task groups of one job, planned in one evaluation, share the node's
// ports: each group sees the other's placements.
func TestPortContentionAcrossGroups(t *testing.T) {
	twoGroups := func(webStatic, apiStatic []int, webDyn, apiDyn int) *structs.Job {
		job := portJob(webStatic, webDyn)
		api := portJob(apiStatic, apiDyn).TaskGroups[0]
		api.Name = "api"
		job.TaskGroups = append(job.TaskGroups, api)
		return job
	}
	cases := []struct {
		name  string
		job   *structs.Job
		nodes int
		// order is the groups selected in turn (0 web, 1 api); the last
		// one must fail with wantDim.
		order   []int
		wantDim string
	}{
		{"one static port in two groups, one node", twoGroups([]int{7000}, []int{7000}, 0, 0), 1,
			[]int{0, 1}, "network: reserved port collision s0=7000"},
		{"one static port in two groups, two nodes", twoGroups([]int{7000}, []int{7000}, 0, 0), 2,
			[]int{0, 1, 0}, "network: reserved port collision s0=7000"},
		// 9 free ports: web takes 1, api 2, three rounds use them all.
		{"the dynamic range is shared", twoGroups(nil, nil, 1, 2), 1,
			[]int{0, 1, 0, 1, 0, 1, 0}, DimensionDynamicPorts},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var nodes []*structs.Node
			for range tc.nodes {
				nodes = append(nodes, portNode(30000, 30009, "30005"))
			}
			ctx := newTestContext(t, tc.job, nil)
			stack := NewStack(ctx, tc.job, NewCandidates(tc.job, nodes), 0)
			var placed []*structs.Allocation
			for i, g := range tc.order {
				tg := tc.job.TaskGroups[g]
				opt, m, err := stack.Select(tg)
				if err != nil {
					t.Fatal(err)
				}
				last := i == len(tc.order)-1
				if last {
					if opt != nil || m.DimensionExhausted[tc.wantDim] != tc.nodes {
						t.Fatalf("last placement %v, dimensions %v; want %q on %d nodes", opt, m.DimensionExhausted, tc.wantDim, tc.nodes)
					}
					break
				}
				if opt == nil {
					t.Fatalf("placement %d of %s failed: %v", i, tg.Name, m.DimensionExhausted)
				}
				a := &structs.Allocation{ID: fmt.Sprint(i), JobID: tc.job.ID, Namespace: tc.job.Namespace, TaskGroup: tg.Name,
					NodeID: opt.Node.ID, AllocatedResources: opt.Resources, ClientStatus: structs.AllocClientStatusPending}
				ctx.AddPlaced(a)
				placed = append(placed, a)
			}
			checkPortRule(t, nodes, placed)
		})
	}
}

// TestPortAllocationProperty places random groups on random small clusters
// and compares with a naive reference: the port rule always holds, and a
// placement fails only when the reference finds no node with enough free
// ports either.
func TestPortAllocationProperty(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		nodes := make([]*structs.Node, 1+rng.IntN(3))
		for i := range nodes {
			lo := 30000 + rng.IntN(5)
			hi := lo + rng.IntN(8)
			var reserved []string
			for p := lo; p <= hi; p++ {
				if rng.IntN(5) == 0 {
					reserved = append(reserved, fmt.Sprint(p))
				}
			}
			nodes[i] = portNode(lo, hi, strings.Join(reserved, ","))
		}
		var static []int
		for range rng.IntN(3) {
			// Static ports around the dynamic ranges, so they collide with
			// reserved and dynamic ones.
			if p := 29998 + rng.IntN(16); !slices.Contains(static, p) {
				static = append(static, p)
			}
		}
		job := portJob(static, rng.IntN(4))
		if len(static) == 0 && len(job.TaskGroups[0].Networks[0].DynamicPorts) == 0 {
			job = portJob(nil, 1)
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			ctx := newTestContext(t, job, nil)
			stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
			placed, m := selectN(t, ctx, stack, job, 40)
			checkPortRule(t, nodes, placed)
			if m == nil {
				t.Fatal("placed 40 allocations on at most 3 nodes with at most 8 ports each")
			}
			for _, n := range nodes {
				if naiveFits(n, placed, job.TaskGroups[0]) {
					t.Fatalf("placement failed (%v) but node %s still has room for the group", m.DimensionExhausted, n.ID)
				}
			}
		})
	}
}

// naiveFits is the reference: the group fits on node when none of its
// static ports is reserved or held there and enough ports of the range are
// neither reserved, held nor among its static ports.
func naiveFits(node *structs.Node, allocs []*structs.Allocation, tg *structs.TaskGroup) bool {
	taken := map[int]bool{}
	for _, p := range ParsePortList(node.ReservedResources.Networks.ReservedHostPorts) {
		taken[p] = true
	}
	for _, a := range allocs {
		if a.NodeID == node.ID {
			for _, p := range heldPorts(a.AllocatedResources) {
				taken[p.value] = true
			}
		}
	}
	dynamic := 0
	for _, n := range tg.Networks {
		for _, p := range n.ReservedPorts {
			if taken[p.Value] {
				return false
			}
			taken[p.Value] = true
		}
		dynamic += len(n.DynamicPorts)
	}
	free := 0
	for p := node.NodeResources.MinDynamicPort; p <= node.NodeResources.MaxDynamicPort; p++ {
		if !taken[p] {
			free++
		}
	}
	return free >= dynamic
}
