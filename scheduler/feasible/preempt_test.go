package feasible

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestSpreadFitScore(t *testing.T) {
	avail := structs.ComparableResources{CPU: 4000, MemoryMB: 8192}
	cases := []struct {
		name string
		used structs.ComparableResources
		want float64
	}{
		{"empty node scores 1", structs.ComparableResources{}, 1},
		{"full node scores 0", avail, 0},
		{"over-full node scores 0", structs.ComparableResources{CPU: 8000, MemoryMB: 9000}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := SpreadFitScore(avail, tc.used); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("SpreadFitScore = %v, want %v", got, tc.want)
			}
		})
	}
	// Against the reference: spread is bin-packing turned around, so the
	// ranking of any two nodes is reversed.
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range 5000 {
		a := structs.ComparableResources{CPU: rng.Int64N(64000) + 1, MemoryMB: rng.Int64N(256*1024) + 1}
		u := structs.ComparableResources{CPU: rng.Int64N(a.CPU + 1), MemoryMB: rng.Int64N(a.MemoryMB + 1)}
		want := 1 - referenceBinPack(a.CPU, u.CPU, a.MemoryMB, u.MemoryMB)
		if got := SpreadFitScore(a, u); math.Abs(got-want) > 1e-9 {
			t.Fatalf("case %d: avail %+v used %+v: got %v, want %v", i, a, u, got, want)
		}
	}
	if FitScorer(structs.SchedulerAlgorithmSpread)(avail, structs.ComparableResources{}) != 1 ||
		FitScorer(structs.SchedulerAlgorithmBinpack)(avail, structs.ComparableResources{}) != 0 {
		t.Fatal("FitScorer does not map the algorithms to their scores")
	}
}

// victimOn is a running allocation on node of a job of priority, holding
// what change sets.
func victimOn(node *structs.Node, priority int, change func(*structs.AllocatedResources)) *structs.Allocation {
	job := mock.Job()
	job.Priority = priority
	a := mock.AllocFor(job, node, 0)
	a.AllocatedResources.Tasks["web"].Cpu.CpuShares = 100
	a.AllocatedResources.Tasks["web"].Memory.MemoryMB = 64
	a.AllocatedResources.Shared.DiskMB = 10
	if change != nil {
		change(a.AllocatedResources)
	}
	return a
}

// TestPreemptionSetDimensions checks that each dimension a placement can
// lack is freed by evicting the right allocation, and reported when it
// cannot be.
func TestPreemptionSetDimensions(t *testing.T) {
	mem := func(mb int64) func(*structs.AllocatedResources) {
		return func(r *structs.AllocatedResources) { r.Tasks["web"].Memory.MemoryMB = mb }
	}
	cases := []struct {
		name     string
		node     func(*structs.Node)
		victims  func(*structs.Node) []*structs.Allocation
		ask      func(*structs.TaskGroup)
		priority int
		want     []int // indexes into victims
		wantDim  string
	}{
		{
			name: "memory: the one victim that covers the lack",
			victims: func(n *structs.Node) []*structs.Allocation {
				return []*structs.Allocation{victimOn(n, 20, mem(1000)), victimOn(n, 20, mem(6000))}
			},
			ask:      func(tg *structs.TaskGroup) { tg.Tasks[0].Resources.MemoryMB = 3000 },
			priority: 50, want: []int{1},
		},
		{
			name: "disk",
			victims: func(n *structs.Node) []*structs.Allocation {
				return []*structs.Allocation{victimOn(n, 20, func(r *structs.AllocatedResources) { r.Shared.DiskMB = 90 * 1024 })}
			},
			ask:      func(tg *structs.TaskGroup) { tg.EphemeralDisk.SizeMB = 20 * 1024 },
			priority: 50, want: []int{0},
		},
		{
			// The p20 victim's one core is not enough; the p30 victim's
			// three are, and alone.
			name: "reserved cores",
			victims: func(n *structs.Node) []*structs.Allocation {
				return []*structs.Allocation{
					victimOn(n, 20, func(r *structs.AllocatedResources) {
						r.Tasks["web"].Cpu = structs.AllocatedCpuResources{CpuShares: 1000, ReservedCores: []uint16{0}}
					}),
					victimOn(n, 30, func(r *structs.AllocatedResources) {
						r.Tasks["web"].Cpu = structs.AllocatedCpuResources{CpuShares: 3000, ReservedCores: []uint16{1, 2, 3}}
					}),
				}
			},
			ask: func(tg *structs.TaskGroup) {
				tg.Tasks[0].Resources.CPU, tg.Tasks[0].Resources.Cores = 0, 2
			},
			priority: 50, want: []int{1},
		},
		{
			name: "dynamic ports of a tiny range",
			node: func(n *structs.Node) { n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20001 },
			victims: func(n *structs.Node) []*structs.Allocation {
				return []*structs.Allocation{
					victimOn(n, 45, func(r *structs.AllocatedResources) {
						r.Shared.Ports = []structs.PortMapping{{Label: "a", Value: 20000}}
					}),
					victimOn(n, 20, func(r *structs.AllocatedResources) {
						r.Shared.Ports = []structs.PortMapping{{Label: "b", Value: 20001}}
					}),
				}
			},
			ask: func(tg *structs.TaskGroup) {
				tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http"}}}}
			},
			priority: 50, want: []int{1},
		},
		{
			name: "dynamic ports held by work within the delta",
			node: func(n *structs.Node) { n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20000 },
			victims: func(n *structs.Node) []*structs.Allocation {
				return []*structs.Allocation{victimOn(n, 45, func(r *structs.AllocatedResources) {
					r.Shared.Ports = []structs.PortMapping{{Label: "a", Value: 20000}}
				})}
			},
			ask: func(tg *structs.TaskGroup) {
				tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http"}}}}
			},
			priority: 50, wantDim: DimensionDynamicPorts,
		},
		{
			name: "a static port the node reserves",
			node: func(n *structs.Node) { n.ReservedResources.Networks.ReservedHostPorts = "8080" },
			ask: func(tg *structs.TaskGroup) {
				tg.Networks = []*structs.NetworkResource{{ReservedPorts: []structs.Port{{Label: "http", Value: 8080}}}}
			},
			priority: 50, wantDim: DimensionPortCollide,
		},
		{
			name: "the planned job's own allocations are never victims",
			victims: func(n *structs.Node) []*structs.Allocation {
				own := victimOn(n, 10, mem(6000))
				own.JobID = "self"
				return []*structs.Allocation{own, victimOn(n, 40, mem(1000))}
			},
			ask:      func(tg *structs.TaskGroup) { tg.Tasks[0].Resources.MemoryMB = 1500 },
			priority: 50, want: []int{1},
		},
		{
			name:     "fits already",
			ask:      func(tg *structs.TaskGroup) {},
			priority: 50,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := mock.Node()
			if tc.node != nil {
				tc.node(node)
			}
			var victims []*structs.Allocation
			if tc.victims != nil {
				victims = tc.victims(node)
			}
			job := mock.Job()
			job.ID, job.Priority = "self", tc.priority
			job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 64}
			tc.ask(job.TaskGroups[0])
			ctx := newTestContext(t, job, fakeAllocs{node.ID: victims})
			u, err := ctx.nodeUsageFor(node)
			if err != nil {
				t.Fatal(err)
			}
			set, dim, err := ctx.preemptionSet(u, newGroupAsk(job.TaskGroups[0]), tc.priority)
			if err != nil {
				t.Fatal(err)
			}
			if dim != tc.wantDim {
				t.Fatalf("dimension %q, want %q (set %v)", dim, tc.wantDim, set)
			}
			var got []int
			for _, a := range set {
				got = append(got, slices.Index(victims, a))
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("evicts victims %v, want %v", got, tc.want)
			}
			if len(set) > 0 {
				if ok, dim := u.without(set).fits(newGroupAsk(job.TaskGroups[0])); !ok {
					t.Fatalf("the set leaves %s short", dim)
				}
			}
		})
	}
}

func TestPreemptionScoreOrdersByPriority(t *testing.T) {
	prev := PreemptionScore(0)
	if prev != 0 {
		t.Fatalf("PreemptionScore(0) = %v, want 0", prev)
	}
	for net := 1; net <= 1000; net++ {
		s := PreemptionScore(net)
		if s >= prev || s <= -1 {
			t.Fatalf("PreemptionScore(%d) = %v after %v: want strictly decreasing within (-1, 0)", net, s, prev)
		}
		prev = s
	}
}
