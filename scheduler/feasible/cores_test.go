package feasible

import (
	"maps"
	"slices"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// coresJob asks for whole cores and no CPU shares, as api Canonicalize
// leaves a task that sets cores.
func coresJob(cores int) *structs.Job {
	job := mock.Job()
	job.TaskGroups[0].Tasks[0].Resources.CPU = 0
	job.TaskGroups[0].Tasks[0].Resources.Cores = cores
	return job
}

// TestSelectReservesCores places core-reserving allocations one after the
// other on a 4-core, 4000 MHz node and checks each grant and the failure
// once the node is full.
func TestSelectReservesCores(t *testing.T) {
	cases := []struct {
		name string
		// existing is what other jobs already hold on the node.
		existing func(*structs.Node) []*structs.Allocation
		ask      int
		want     [][]uint16
		// failDim is the exhausted dimension of the placement after want.
		failDim string
	}{
		{"two allocations of two cores fill the node", nil, 2, [][]uint16{{0, 1}, {2, 3}}, DimensionCores},
		{"more cores than the node has", nil, 5, nil, DimensionCores},
		{"cores held by another allocation are skipped", func(n *structs.Node) []*structs.Allocation {
			a := mock.AllocFor(mock.Job(), n, 0)
			a.AllocatedResources.Tasks["web"].Cpu = structs.AllocatedCpuResources{CpuShares: 1000, ReservedCores: []uint16{1}}
			return []*structs.Allocation{a}
		}, 1, [][]uint16{{0}, {2}, {3}}, DimensionCores},
		{"cpu shares used by other tasks count against cores", func(n *structs.Node) []*structs.Allocation {
			a := mock.AllocFor(mock.Job(), n, 0)
			a.AllocatedResources.Tasks["web"].Cpu.CpuShares = 2500
			return []*structs.Allocation{a}
		}, 1, [][]uint16{{0}}, DimensionCPU},
		{"terminal allocations free their cores", func(n *structs.Node) []*structs.Allocation {
			a := mock.AllocFor(mock.Job(), n, 0)
			a.ClientStatus = structs.AllocClientStatusComplete
			a.AllocatedResources.Tasks["web"].Cpu = structs.AllocatedCpuResources{CpuShares: 4000, ReservedCores: []uint16{0, 1, 2, 3}}
			return []*structs.Allocation{a}
		}, 4, [][]uint16{{0, 1, 2, 3}}, DimensionCores},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job, node := coresJob(tc.ask), mock.Node()
			existing := fakeAllocs{}
			if tc.existing != nil {
				existing[node.ID] = tc.existing(node)
			}
			ctx := newTestContext(t, job, existing)
			stack := NewStack(ctx, job, NewCandidates(job, []*structs.Node{node}), 0)
			for i, a := range placeAll(t, ctx, stack, job, len(tc.want)) {
				cpu := a.AllocatedResources.Tasks["web"].Cpu
				if !slices.Equal(cpu.ReservedCores, tc.want[i]) {
					t.Errorf("placement %d reserved cores %v, want %v", i, cpu.ReservedCores, tc.want[i])
				}
				if want := int64(1000 * tc.ask); cpu.CpuShares != want {
					t.Errorf("placement %d CpuShares = %d, want %d (cores × 1000 MHz)", i, cpu.CpuShares, want)
				}
			}
			opt, m, err := stack.Select(job.TaskGroups[0])
			if err != nil || opt != nil {
				t.Fatalf("got option %v, err %v; want exhaustion", opt, err)
			}
			if !maps.Equal(m.DimensionExhausted, map[string]int{tc.failDim: 1}) {
				t.Fatalf("DimensionExhausted = %v, want %s", m.DimensionExhausted, tc.failDim)
			}
		})
	}
}

// TestSelectCoresUsesReservableList checks that only the node's reservable
// cores are handed out and that their price follows the node's speed.
func TestSelectCoresUsesReservableList(t *testing.T) {
	job, node := coresJob(2), mock.Node()
	node.NodeResources.Cpu = structs.NodeCpuResources{CpuShares: 8 * 2500, TotalCpuCores: 8, ReservableCpuCores: []uint16{7, 5, 6}}
	ctx := newTestContext(t, job, nil)
	stack := NewStack(ctx, job, NewCandidates(job, []*structs.Node{node}), 0)
	a := placeAll(t, ctx, stack, job, 1)[0]
	cpu := a.AllocatedResources.Tasks["web"].Cpu
	if !slices.Equal(cpu.ReservedCores, []uint16{5, 6}) || cpu.CpuShares != 5000 {
		t.Fatalf("grant %+v, want cores [5 6] and 5000 MHz", cpu)
	}
	if opt, m, _ := stack.Select(job.TaskGroups[0]); opt != nil || m.DimensionExhausted[DimensionCores] != 1 {
		t.Fatalf("second placement: option %v, metric %+v; want cores exhausted", opt, m)
	}
}
