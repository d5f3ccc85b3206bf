package feasible

import (
	"math"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestReschedulePenalty(t *testing.T) {
	cases := []struct {
		name    string
		penalty map[string]bool
		node    string
		want    float64
		applies bool
	}{
		{"no penalty nodes", nil, "n1", 0, false},
		{"node where the chain failed", map[string]bool{"n1": true}, "n1", -1, true},
		{"other node", map[string]bool{"n1": true}, "n2", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ReschedulePenalty(c.penalty, c.node)
			if got != c.want || ok != c.applies {
				t.Fatalf("ReschedulePenalty = %v, %v; want %v, %v", got, ok, c.want, c.applies)
			}
		})
	}
}

// TestStackReschedulePenalty checks the penalty through Select: with two
// identical nodes, the one a replacement's chain failed on loses, its
// score is the mean of bin-packing and -1, and the penalty is recorded.
// A penalised node that is the only fit is still chosen.
func TestStackReschedulePenalty(t *testing.T) {
	t.Run("penalised node loses and is scored", func(t *testing.T) {
		job := mock.Job()
		nodes := []*structs.Node{mock.Node(), mock.Node()}
		ctx := newTestContext(t, job, newFakeState(nodes))
		stack := NewStack(ctx, job, Candidates{Nodes: nodes, InPool: 2}, 2)
		bad := nodes[0].ID
		stack.SetPenaltyNodes(map[string]bool{bad: true})
		opt, m, err := stack.Select(job.TaskGroups[0])
		if err != nil || opt == nil {
			t.Fatalf("select: %v, %+v", err, m)
		}
		if opt.Node.ID == bad {
			t.Fatalf("chose the penalised node %s", bad)
		}
		var meta *structs.NodeScoreMeta
		for _, sm := range m.ScoreMetaData {
			if sm.NodeID == bad {
				meta = sm
			}
		}
		if meta == nil {
			t.Fatalf("no score recorded for the penalised node: %+v", m.ScoreMetaData)
		}
		if meta.Scores[ScoreNodeReschedulePenalty] != -1 {
			t.Fatalf("penalty score %v, want -1", meta.Scores[ScoreNodeReschedulePenalty])
		}
		want := (meta.Scores[ScoreBinPack] - 1) / 2
		if math.Abs(meta.NormScore-want) > 1e-9 {
			t.Fatalf("penalised score %v, want mean of bin-pack and -1 = %v", meta.NormScore, want)
		}
	})
	t.Run("only fit is still chosen", func(t *testing.T) {
		job := mock.Job()
		nodes := []*structs.Node{mock.Node()}
		ctx := newTestContext(t, job, newFakeState(nodes))
		stack := NewStack(ctx, job, Candidates{Nodes: nodes, InPool: 1}, 2)
		stack.SetPenaltyNodes(map[string]bool{nodes[0].ID: true})
		opt, m, err := stack.Select(job.TaskGroups[0])
		if err != nil || opt == nil || opt.Node.ID != nodes[0].ID {
			t.Fatalf("select = %v, %v (%+v), want the only node", opt, err, m)
		}
	})
	t.Run("cleared penalty scores nothing", func(t *testing.T) {
		job := mock.Job()
		nodes := []*structs.Node{mock.Node()}
		ctx := newTestContext(t, job, newFakeState(nodes))
		stack := NewStack(ctx, job, Candidates{Nodes: nodes, InPool: 1}, 2)
		stack.SetPenaltyNodes(map[string]bool{nodes[0].ID: true})
		stack.SetPenaltyNodes(nil)
		_, m, err := stack.Select(job.TaskGroups[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.ScoreMetaData[0].Scores[ScoreNodeReschedulePenalty]; ok {
			t.Fatalf("penalty recorded after it was cleared: %+v", m.ScoreMetaData[0].Scores)
		}
	})
}
