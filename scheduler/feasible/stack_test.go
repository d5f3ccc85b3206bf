package feasible

import (
	"fmt"
	"maps"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestSelectFailureMetrics(t *testing.T) {
	job := mock.Job()
	var nodes []*structs.Node
	for range 2 {
		n := mock.Node()
		delete(n.Drivers, "raw_exec")
		delete(n.Attributes, "driver.raw_exec")
		nodes = append(nodes, n)
	}
	for range 3 {
		n := mock.Node()
		n.NodeClass = "small"
		n.NodeResources.Memory.MemoryMB = 128
		nodes = append(nodes, n)
	}
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
	opt, m, err := stack.Select(job.TaskGroups[0])
	if err != nil {
		t.Fatal(err)
	}
	if opt != nil {
		t.Fatalf("placed on %s, want failure", opt.Node.ID)
	}
	want := structs.AllocMetric{
		NodesEvaluated:     5,
		NodesFiltered:      2,
		NodesInPool:        5,
		NodesAvailable:     map[string]int{"dc1": 5},
		ClassFiltered:      map[string]int{"linux-medium": 2},
		ConstraintFiltered: map[string]int{ReasonMissingDriver: 2},
		NodesExhausted:     3,
		ClassExhausted:     map[string]int{"small": 3},
		DimensionExhausted: map[string]int{DimensionMemory: 3},
	}
	if got := fmt.Sprintf("%+v", *m); got != fmt.Sprintf("%+v", want) {
		t.Fatalf("metric:\n got %s\nwant %s", got, fmt.Sprintf("%+v", want))
	}
}

func TestSelectExhaustedDimensions(t *testing.T) {
	cases := []struct {
		name   string
		change func(*structs.Node, *structs.Job)
		want   string
	}{
		{"cpu", func(n *structs.Node, _ *structs.Job) { n.NodeResources.Cpu.CpuShares = 400 }, DimensionCPU},
		{"cpu reserved", func(n *structs.Node, _ *structs.Job) { n.ReservedResources.Cpu.CpuShares = 3600 }, DimensionCPU},
		{"memory reserved", func(n *structs.Node, _ *structs.Job) { n.ReservedResources.Memory.MemoryMB = 8000 }, DimensionMemory},
		{"disk", func(n *structs.Node, _ *structs.Job) { n.NodeResources.Disk.DiskMB = 100 }, DimensionDisk},
		{"reserved port collision", func(n *structs.Node, j *structs.Job) {
			n.ReservedResources.Networks.ReservedHostPorts = "22,8080"
			j.TaskGroups[0].Networks = []*structs.NetworkResource{{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}}}
		}, "network: reserved port collision http=8080"},
		{"no dynamic ports", func(n *structs.Node, j *structs.Job) {
			n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20001
			n.ReservedResources.Networks.ReservedHostPorts = "20000"
			j.TaskGroups[0].Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "a"}, {Label: "b"}}}}
		}, "network: dynamic port selection failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job, node := mock.Job(), mock.Node()
			tc.change(node, job)
			ctx := newTestContext(t, job, nil)
			stack := NewStack(ctx, job, NewCandidates(job, []*structs.Node{node}), 0)
			opt, m, err := stack.Select(job.TaskGroups[0])
			if err != nil || opt != nil {
				t.Fatalf("got option %v, err %v; want exhaustion", opt, err)
			}
			if !maps.Equal(m.DimensionExhausted, map[string]int{tc.want: 1}) {
				t.Fatalf("DimensionExhausted = %v, want %s", m.DimensionExhausted, tc.want)
			}
		})
	}
}

func TestSelectPrefersFullerNode(t *testing.T) {
	job := mock.Job()
	other := mock.Job()
	empty, busy := mock.Node(), mock.Node()
	// Another job already uses half of busy: packing onto it keeps empty
	// free for large work.
	existing := mock.AllocFor(other, busy, 0)
	existing.AllocatedResources.Tasks["web"].Cpu.CpuShares = 2000
	existing.AllocatedResources.Tasks["web"].Memory.MemoryMB = 4096
	for _, order := range [][]*structs.Node{{empty, busy}, {busy, empty}} {
		ctx := newTestContext(t, job, fakeAllocs{busy.ID: {existing}})
		stack := NewStack(ctx, job, NewCandidates(job, order), 2)
		opt, _, err := stack.Select(job.TaskGroups[0])
		if err != nil || opt == nil {
			t.Fatalf("select: %v, %v", opt, err)
		}
		if opt.Node.ID != busy.ID {
			t.Fatalf("placed on the empty node, want the busy one")
		}
	}
}

func TestSelectIgnoresStoppedAndTerminalAllocs(t *testing.T) {
	job := mock.Job()
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 6000
	node := mock.Node()
	failed := mock.AllocFor(mock.Job(), node, 0)
	failed.ClientStatus = structs.AllocClientStatusFailed
	failed.AllocatedResources.Tasks["web"].Memory.MemoryMB = 6000
	stopping := mock.AllocFor(mock.Job(), node, 0)
	stopping.AllocatedResources.Tasks["web"].Memory.MemoryMB = 6000

	ctx := newTestContext(t, job, fakeAllocs{node.ID: {failed, stopping}})
	stack := NewStack(ctx, job, NewCandidates(job, []*structs.Node{node}), 0)
	if opt, _, _ := stack.Select(job.TaskGroups[0]); opt != nil {
		t.Fatal("placed while a running allocation holds the memory")
	}
	ctx.AddStopped(stopping, "test", "")
	if opt, m, _ := stack.Select(job.TaskGroups[0]); opt == nil {
		t.Fatalf("no placement after the plan stopped the allocation: %+v", m)
	}
}

func TestDynamicPortsNeverCollide(t *testing.T) {
	job := mock.Job()
	tg := job.TaskGroups[0]
	tg.Tasks[0].Resources = &structs.Resources{CPU: 1, MemoryMB: 1}
	tg.EphemeralDisk.SizeMB = 1
	tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http", To: -1}, {Label: "admin"}}}}
	tg.Tasks[0].Resources.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "task"}}}}
	var nodes []*structs.Node
	for range 3 {
		n := mock.Node()
		// A narrow range makes collisions likely if the bookkeeping is wrong.
		n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 30000, 30099
		n.ReservedResources.Networks.ReservedHostPorts = "30000-30009"
		nodes = append(nodes, n)
	}
	// Another job already holds ports on the first node.
	existing := mock.AllocFor(mock.Job(), nodes[0], 0)
	existing.AllocatedResources.Shared.Ports = []structs.PortMapping{{Label: "x", Value: 30050}, {Label: "y", Value: 30051}}
	ctx := newTestContext(t, job, fakeAllocs{nodes[0].ID: {existing}})
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)

	// 3 nodes × 90 free ports / 3 ports per allocation, less the two taken.
	placed := placeAll(t, ctx, stack, job, 89)
	seen := map[string]string{"30050@" + nodes[0].ID: "existing", "30051@" + nodes[0].ID: "existing"}
	for _, a := range placed {
		ports := portsOf(a.AllocatedResources)
		if len(ports) != 3 {
			t.Fatalf("%s got %d ports, want 3", a.ID, len(ports))
		}
		for _, p := range ports {
			if p < 30010 || p > 30099 {
				t.Fatalf("port %d outside the free dynamic range", p)
			}
			key := fmt.Sprintf("%d@%s", p, a.NodeID)
			if prev, dup := seen[key]; dup {
				t.Fatalf("port %s given to %s and %s", key, prev, a.ID)
			}
			seen[key] = a.ID
		}
		http := a.AllocatedResources.Shared.Ports[0]
		if http.Label != "http" || http.To != http.Value {
			t.Fatalf("http mapping %+v: to = -1 should map to the host port", http)
		}
	}
	if opt, m, _ := stack.Select(tg); opt != nil {
		t.Fatal("placed although every dynamic port is taken")
	} else if m.DimensionExhausted[DimensionDynamicPorts] != 3 {
		t.Fatalf("DimensionExhausted = %v, want dynamic ports on 3 nodes", m.DimensionExhausted)
	}
}

func portsOf(ar *structs.AllocatedResources) []int {
	var out []int
	forEachPort(&structs.AllocatedResources{Tasks: ar.Tasks, Shared: structs.AllocatedSharedResources{Networks: ar.Shared.Networks}}, func(p int) {
		out = append(out, p)
	})
	return out
}

func TestDistinctHosts(t *testing.T) {
	cases := []struct {
		name      string
		onJob     bool
		rtarget   string
		placeable int
	}{
		{name: "group level", rtarget: "true", placeable: 3},
		{name: "job level", onJob: true, rtarget: "", placeable: 3},
		{name: "disabled", rtarget: "false", placeable: 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := mock.Job()
			c := &structs.Constraint{Operand: OpDistinctHosts, RTarget: tc.rtarget}
			if tc.onJob {
				job.Constraints = append(job.Constraints, c)
			} else {
				job.TaskGroups[0].Constraints = append(job.TaskGroups[0].Constraints, c)
			}
			nodes := []*structs.Node{mock.Node(), mock.Node(), mock.Node()}
			ctx := newTestContext(t, job, nil)
			stack := NewStack(ctx, job, NewCandidates(job, nodes), 0)
			placeAll(t, ctx, stack, job, tc.placeable)
			if tc.placeable >= 10 {
				return
			}
			opt, m, _ := stack.Select(job.TaskGroups[0])
			if opt != nil || m.ConstraintFiltered[ReasonDistinctHosts] != 3 {
				t.Fatalf("got %v, filtered %v; want distinct_hosts on 3 nodes", opt, m.ConstraintFiltered)
			}
		})
	}
}

func TestSelectRecordsTopScores(t *testing.T) {
	job := mock.Job()
	var nodes []*structs.Node
	for range 20 {
		nodes = append(nodes, mock.Node())
	}
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 8)
	opt, m, _ := stack.Select(job.TaskGroups[0])
	if opt == nil {
		t.Fatal("no placement")
	}
	if len(m.ScoreMetaData) != topScores {
		t.Fatalf("kept %d scores, want %d", len(m.ScoreMetaData), topScores)
	}
	if m.ScoreMetaData[0].NodeID != opt.Node.ID || m.ScoreMetaData[0].NormScore != opt.Score {
		t.Fatalf("first score %+v is not the chosen node", m.ScoreMetaData[0])
	}
	for i := 1; i < len(m.ScoreMetaData); i++ {
		if m.ScoreMetaData[i].NormScore > m.ScoreMetaData[i-1].NormScore {
			t.Fatal("scores not sorted best first")
		}
	}
	if m.NodesEvaluated != 8 {
		t.Fatalf("evaluated %d nodes, want the limit 8", m.NodesEvaluated)
	}
}

func TestDefaultLimit(t *testing.T) {
	for n, want := range map[int]int{0: 2, 1: 2, 3: 2, 5: 3, 1000: 10, 5000: 13} {
		if got := DefaultLimit(n); got != want {
			t.Errorf("DefaultLimit(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestSampleSkipsNonPositiveScores(t *testing.T) {
	// Four of five nodes hold an allocation of the count-1 group, placed
	// by this evaluation after the pool looked at the empty cluster, so
	// only the sample sees them. Each scores below zero (the penalty of
	// 2 / count outweighs any bin-pack score); with a sample bound of 2
	// the three skipped ones do not count, so every placement reaches the
	// free node wherever the sample starts.
	job := mock.Job()
	job.TaskGroups[0].Count = 1
	tg := job.TaskGroups[0]
	var nodes []*structs.Node
	for range 5 {
		nodes = append(nodes, mock.Node())
	}
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, nodes), 2)
	if _, _, err := stack.Select(tg); err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes[1:] {
		a := mock.AllocFor(job, n, i)
		a.ClientStatus = structs.AllocClientStatusPending
		ctx.AddPlaced(a)
	}
	for round := range 5 {
		opt, m, err := stack.Select(tg)
		if err != nil || opt == nil {
			t.Fatalf("round %d: select %v, %v", round, opt, err)
		}
		if opt.Node.ID != nodes[0].ID {
			t.Fatalf("round %d: chose a crowded node after evaluating %d; scores %+v", round, m.NodesEvaluated, m.ScoreMetaData)
		}
	}
}
