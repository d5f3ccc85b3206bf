package feasible

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// referenceBinPack is the score written out from its definition, without
// the helpers: the fraction of each resource left free after placement,
// each raised as a power of ten, summed, and mapped from [2, 20] onto
// [1, 0].
func referenceBinPack(availCPU, usedCPU, availMem, usedMem int64) float64 {
	free := func(avail, used int64) float64 {
		if avail <= 0 || used >= avail {
			return 0
		}
		if used <= 0 {
			return 1
		}
		return float64(avail-used) / float64(avail)
	}
	sum := math.Pow(10, free(availCPU, usedCPU)) + math.Pow(10, free(availMem, usedMem))
	return 1 - (sum-2)/18
}

func TestBinPackScoreMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 20000 {
		availCPU, availMem := rng.Int64N(64000)-100, rng.Int64N(256*1024)-100
		usedCPU, usedMem := rng.Int64N(70000)-100, rng.Int64N(300*1024)-100
		got := BinPackScore(
			structs.ComparableResources{CPU: availCPU, MemoryMB: availMem},
			structs.ComparableResources{CPU: usedCPU, MemoryMB: usedMem})
		want := referenceBinPack(availCPU, usedCPU, availMem, usedMem)
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("case %d: avail (%d, %d) used (%d, %d): got %v, want %v",
				i, availCPU, availMem, usedCPU, usedMem, got, want)
		}
		if got < 0 || got > 1 {
			t.Fatalf("case %d: score %v outside [0, 1]", i, got)
		}
	}
}

func TestBinPackScoreProperties(t *testing.T) {
	avail := structs.ComparableResources{CPU: 4000, MemoryMB: 8192}
	score := func(cpu, mem int64) float64 {
		return BinPackScore(avail, structs.ComparableResources{CPU: cpu, MemoryMB: mem})
	}
	t.Run("empty and full", func(t *testing.T) {
		if s := score(0, 0); s != 0 {
			t.Fatalf("empty node scores %v, want 0", s)
		}
		if s := score(4000, 8192); s != 1 {
			t.Fatalf("full node scores %v, want 1", s)
		}
	})
	t.Run("more use never scores lower", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for range 5000 {
			cpu, mem := rng.Int64N(4000), rng.Int64N(8192)
			if score(cpu+rng.Int64N(100), mem+rng.Int64N(100)) < score(cpu, mem) {
				t.Fatalf("adding usage to (%d, %d) lowered the score", cpu, mem)
			}
		}
	})
	t.Run("balanced beats lopsided at equal total", func(t *testing.T) {
		if score(2000, 4096) <= score(4000, 0) {
			t.Fatal("half used on both should beat full CPU with idle memory")
		}
	})
}

// TestSelectPicksReferenceBest checks the whole ranking stage against the
// reference: with a limit covering every node, the chosen node is one the
// reference scores highest.
func TestSelectPicksReferenceBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for round := range 200 {
		job := mock.Job()
		ask := job.TaskGroups[0].Tasks[0].Resources
		existing := fakeAllocs{}
		var nodes []*structs.Node
		for range 2 + rng.IntN(6) {
			n := mock.Node()
			a := mock.AllocFor(mock.Job(), n, 0)
			a.AllocatedResources.Tasks["web"].Cpu.CpuShares = rng.Int64N(3500)
			a.AllocatedResources.Tasks["web"].Memory.MemoryMB = rng.Int64N(7900)
			existing[n.ID] = []*structs.Allocation{a}
			nodes = append(nodes, n)
		}
		ctx := newTestContext(t, job, existing)
		stack := NewStack(ctx, job, NewCandidates(job, nodes), len(nodes))
		opt, _, err := stack.Select(job.TaskGroups[0])
		if err != nil || opt == nil {
			t.Fatalf("round %d: select %v, %v", round, opt, err)
		}
		best := -1.0
		for _, n := range nodes {
			used := existing[n.ID][0].AllocatedResources.Tasks["web"]
			s := referenceBinPack(4000, used.Cpu.CpuShares+int64(ask.CPU), 8192, used.Memory.MemoryMB+int64(ask.MemoryMB))
			best = math.Max(best, s)
		}
		if math.Abs(opt.Score-best) > 1e-9 {
			t.Fatalf("round %d: chose a node scoring %v, best is %v", round, opt.Score, best)
		}
	}
}

func TestAntiAffinitySpreadsGroups(t *testing.T) {
	// Whatever the count, a group's allocations go to distinct nodes while
	// fresh ones fit: a collision halves a node's score (Nomad's
	// averaging), which packing one more allocation never makes up for.
	for _, count := range []int{3, 100, 1000} {
		t.Run(fmt.Sprintf("count %d", count), func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Count = count
			nodes := []*structs.Node{mock.Node(), mock.Node(), mock.Node()}
			ctx := newTestContext(t, job, nil)
			stack := NewStack(ctx, job, NewCandidates(job, nodes), 3)
			perNode := map[string]int{}
			for _, a := range placeAll(t, ctx, stack, job, 3) {
				perNode[a.NodeID]++
			}
			if len(perNode) != 3 {
				t.Fatalf("allocations per node %v, want one on each of the 3 nodes", perNode)
			}
		})
	}
}

func TestAntiAffinityAgainstPacking(t *testing.T) {
	// crowded holds a sibling and another job's allocation filling most of
	// it: one more allocation there scores 0.97 on bin-packing, against
	// 0.18 on the empty node. Averaged with the penalty (2 / count) the
	// crowded node still wins for a large group, not for a small one.
	cases := []struct {
		count       int
		wantCrowded bool
	}{
		{count: 100, wantCrowded: true},
		{count: 3, wantCrowded: false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("count %d", tc.count), func(t *testing.T) {
			job := mock.Job()
			job.TaskGroups[0].Count = tc.count
			crowded, fresh := mock.Node(), mock.Node()
			other := mock.AllocFor(mock.Job(), crowded, 0)
			other.AllocatedResources.Tasks["web"].Cpu.CpuShares = 3000
			other.AllocatedResources.Tasks["web"].Memory.MemoryMB = 6000
			sibling := mock.AllocFor(job, crowded, 0)
			ctx := newTestContext(t, job, fakeAllocs{crowded.ID: {other, sibling}})
			stack := NewStack(ctx, job, NewCandidates(job, []*structs.Node{fresh, crowded}), 1)
			opt, m, err := stack.Select(job.TaskGroups[0])
			if err != nil || opt == nil {
				t.Fatalf("select: %v, %v", opt, err)
			}
			if got := opt.Node.ID == crowded.ID; got != tc.wantCrowded {
				t.Fatalf("chose the crowded node: %t, want %t; scores %+v", got, tc.wantCrowded, m.ScoreMetaData)
			}
		})
	}
}

func TestAntiAffinityPenalty(t *testing.T) {
	cases := []struct {
		collisions, count int
		want              float64
	}{
		{0, 3, 0}, {1, 3, 2.0 / 3}, {2, 4, 0.75}, {1, 1000, 0.002}, {5, 2, 3}, {1, 0, 2},
	}
	for _, tc := range cases {
		if got := AntiAffinityPenalty(tc.collisions, tc.count); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("AntiAffinityPenalty(%d, %d) = %v, want %v", tc.collisions, tc.count, got, tc.want)
		}
	}
}
