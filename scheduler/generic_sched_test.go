package scheduler_test

import (
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

func TestServiceJobPlacesCount(t *testing.T) {
	h := schedtest.NewHarness(t)
	for range 3 {
		h.State.UpsertNode(mock.Node())
	}
	job := mock.Job()
	h.State.UpsertJob(job)
	if err := h.Process(mock.EvalFor(job)); err != nil {
		t.Fatalf("process: %v", err)
	}
	placed := schedtest.Placed(h.LastPlan())
	if len(placed) != 10 {
		t.Fatalf("placed %d allocations, want 10", len(placed))
	}
	if got := h.LastEval().Status; got != structs.EvalStatusComplete {
		t.Fatalf("eval status = %q, want complete", got)
	}
	for _, a := range placed {
		t.Logf("%s on %s score %v", a.Name, a.NodeName, a.Metrics.ScoreMetaData[0].NormScore)
	}
}
