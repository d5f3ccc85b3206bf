package allocrunner

import (
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// A host volume the node no longer offers fails the task before it
// starts, without restarts: retrying cannot bring the volume back.
func TestAllocRunner_MissingHostVolumeFailsTask(t *testing.T) {
	t.Parallel()
	alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
	tg := alloc.Job.TaskGroups[0]
	tg.Volumes = map[string]*structs.VolumeRequest{"data": {Name: "data", Type: structs.VolumeTypeHost, Source: "pg-data"}}
	tg.Tasks[0].VolumeMounts = []*structs.VolumeMount{{Volume: "data", Destination: "/data"}}
	h := newHarness(t, alloc)
	a := h.waitStatus(structs.AllocClientStatusFailed)
	st := a.TaskStates["web"]
	assertEvents(t, st, structs.TaskReceived, structs.TaskSetup, structs.TaskSetupFailure)
	if ev := st.Events[2]; !ev.FailsTask || !strings.Contains(ev.DisplayMessage, `host volume "pg-data" is not configured on this node`) {
		t.Fatalf("setup failure event %+v", ev)
	}
	if !st.Failed || !st.StartedAt.IsZero() {
		t.Fatalf("task = %+v: want failed, never started", st)
	}
}
