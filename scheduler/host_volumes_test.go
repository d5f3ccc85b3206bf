package scheduler_test

import (
	"fmt"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler/feasible"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

func withVolumes(job *structs.Job, req *structs.VolumeRequest) *structs.Job {
	tg := job.TaskGroups[0]
	tg.Volumes = map[string]*structs.VolumeRequest{req.Name: req}
	tg.Tasks[0].VolumeMounts = []*structs.VolumeMount{{Volume: req.Name, Destination: "/data"}}
	return job
}

func TestHostVolumePlacement(t *testing.T) {
	job := withVolumes(mock.Job(), &structs.VolumeRequest{Name: "data", Type: structs.VolumeTypeHost, Source: "pg-data"})
	job.TaskGroups[0].Count = 6
	h := schedtest.NewHarness(t)
	having := map[string]bool{}
	for i := range 6 {
		n := mock.Node()
		switch i % 3 {
		case 0:
			n.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"pg-data": {Name: "pg-data", Path: "/srv/pg"}}
			having[n.ID] = true
		case 1:
			// Offered, but only for reading: the group wants to write.
			n.HostVolumes = map[string]*structs.ClientHostVolumeConfig{"pg-data": {Name: "pg-data", Path: "/srv/pg", ReadOnly: true}}
		}
		h.State.UpsertNode(n)
	}
	h.State.UpsertJob(job)
	process(t, h, mock.EvalFor(job))

	placed := schedtest.Placed(h.LastPlan())
	if len(placed) != 6 {
		t.Fatalf("placed %d allocations, want 6", len(placed))
	}
	for _, a := range placed {
		if !having[a.NodeID] {
			t.Fatalf("%s placed on node %s, which lacks a writable pg-data volume", a.Name, a.NodeID)
		}
	}

	// A volume no node offers blocks the group with the reason shown.
	missing := withVolumes(mock.Job(), &structs.VolumeRequest{Name: "data", Type: structs.VolumeTypeHost, Source: "nowhere"})
	h.State.UpsertJob(missing)
	process(t, h, mock.EvalFor(missing))
	m := h.LastEval().FailedTGAllocs["web"]
	if m == nil || m.ConstraintFiltered[feasible.ReasonHostVolumes] != 6 || m.NodesFiltered != 6 {
		t.Fatalf("failure metric %+v, want %q on all 6 nodes", m, feasible.ReasonHostVolumes)
	}
}

func TestPerAllocHostVolumePlacement(t *testing.T) {
	job := withVolumes(mock.Job(), &structs.VolumeRequest{Name: "data", Type: structs.VolumeTypeHost, Source: "shard", PerAlloc: true})
	job.TaskGroups[0].Count = 4
	h := schedtest.NewHarness(t)
	owner := map[string]string{} // volume name → node ID
	for i := range 4 {
		n := mock.Node()
		name := fmt.Sprintf("shard[%d]", 3-i)
		n.HostVolumes = map[string]*structs.ClientHostVolumeConfig{name: {Name: name, Path: "/srv/" + name}}
		owner[name] = n.ID
		h.State.UpsertNode(n)
	}
	h.State.UpsertJob(job)
	process(t, h, mock.EvalFor(job))
	placed := schedtest.Placed(h.LastPlan())
	if len(placed) != 4 {
		t.Fatalf("placed %d, want 4: %+v", len(placed), h.LastEval().FailedTGAllocs)
	}
	for _, a := range placed {
		want := owner["shard"+structs.AllocSuffix(a.Name)]
		if a.NodeID != want {
			t.Fatalf("%s placed on %s, want %s, the node holding its own shard", a.Name, a.NodeID, want)
		}
	}
}
