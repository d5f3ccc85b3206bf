package nomadlike

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// catalogFixture is a node running three allocations of a job, each with
// one registered instance, applied through the FSM.
func catalogFixture(t *testing.T) (*FSM, *structs.Node, []*structs.Allocation) {
	t.Helper()
	f := testFSM(t, nil)
	job, node := mock.Job(), mock.Node()
	mustApply(t, f, 3, structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node})
	mustApply(t, f, 4, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job})
	var allocs []*structs.Allocation
	var regs []*structs.ServiceRegistration
	for i := 0; i < 3; i++ {
		a := mock.AllocFor(job, node, i)
		allocs = append(allocs, a)
		regs = append(regs, &structs.ServiceRegistration{ID: "_orch-" + a.ID, ServiceName: "web", Namespace: a.Namespace,
			NodeID: node.ID, JobID: job.ID, AllocID: a.ID, Address: "127.0.0.1", Port: 8000 + i, Status: structs.HealthPassing})
	}
	mustApply(t, f, 5, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{Job: job, AllocsUpdated: allocs})
	mustApply(t, f, 6, structs.ServiceRegistrationUpsertRequestType, &structs.ServiceRegistrationUpsertRequest{Services: regs})
	return f, node, allocs
}

func catalogAllocs(t *testing.T, f *FSM) map[string]bool {
	t.Helper()
	regs, err := f.State().ServiceRegistrations(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]bool)
	for _, r := range regs {
		out[r.AllocID] = true
	}
	return out
}

func TestFSM_ServiceCatalogFollowsAllocations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// change applies entries at index 10 onward; it returns the
		// allocations whose instances must be gone.
		change func(t *testing.T, f *FSM, node *structs.Node, allocs []*structs.Allocation) []*structs.Allocation
	}{
		{"running update keeps instances", func(t *testing.T, f *FSM, _ *structs.Node, allocs []*structs.Allocation) []*structs.Allocation {
			mustApply(t, f, 10, structs.AllocClientUpdateRequestType, &structs.AllocUpdateRequest{
				Alloc: []*structs.Allocation{{ID: allocs[0].ID, ClientStatus: structs.AllocClientStatusRunning}}})
			return nil
		}},
		{"failed allocation leaves", func(t *testing.T, f *FSM, _ *structs.Node, allocs []*structs.Allocation) []*structs.Allocation {
			mustApply(t, f, 10, structs.AllocClientUpdateRequestType, &structs.AllocUpdateRequest{
				Alloc: []*structs.Allocation{{ID: allocs[1].ID, ClientStatus: structs.AllocClientStatusFailed}}})
			return allocs[1:2]
		}},
		{"plan stop leaves", func(t *testing.T, f *FSM, _ *structs.Node, allocs []*structs.Allocation) []*structs.Allocation {
			stopped := allocs[2].Copy()
			stopped.DesiredStatus = structs.AllocDesiredStatusStop
			mustApply(t, f, 10, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{AllocsStopped: []*structs.Allocation{stopped}})
			return allocs[2:3]
		}},
		{"node down empties the node", func(t *testing.T, f *FSM, node *structs.Node, allocs []*structs.Allocation) []*structs.Allocation {
			mustApply(t, f, 10, structs.NodeUpdateStatusRequestType, &structs.NodeUpdateStatusRequest{NodeID: node.ID, Status: structs.NodeStatusDown})
			return allocs
		}},
		{"node ready keeps", func(t *testing.T, f *FSM, node *structs.Node, _ []*structs.Allocation) []*structs.Allocation {
			mustApply(t, f, 10, structs.NodeUpdateStatusRequestType, &structs.NodeUpdateStatusRequest{NodeID: node.ID, Status: structs.NodeStatusReady})
			return nil
		}},
		{"late upsert of a terminal allocation is dropped", func(t *testing.T, f *FSM, node *structs.Node, allocs []*structs.Allocation) []*structs.Allocation {
			mustApply(t, f, 10, structs.AllocClientUpdateRequestType, &structs.AllocUpdateRequest{
				Alloc: []*structs.Allocation{{ID: allocs[0].ID, ClientStatus: structs.AllocClientStatusComplete}}})
			mustApply(t, f, 11, structs.ServiceRegistrationUpsertRequestType, &structs.ServiceRegistrationUpsertRequest{
				Services: []*structs.ServiceRegistration{{ID: "late", ServiceName: "web", Namespace: "default", NodeID: node.ID, AllocID: allocs[0].ID}}})
			return allocs[:1]
		}},
		{"delete by id and by alloc", func(t *testing.T, f *FSM, _ *structs.Node, allocs []*structs.Allocation) []*structs.Allocation {
			mustApply(t, f, 10, structs.ServiceRegistrationDeleteRequestType, &structs.ServiceRegistrationDeleteMsg{
				IDs: []string{"_orch-" + allocs[0].ID}, AllocIDs: []string{allocs[1].ID}})
			return allocs[:2]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, node, allocs := catalogFixture(t)
			gone := tc.change(t, f, node, allocs)
			got := catalogAllocs(t, f)
			want := make(map[string]bool)
			for _, a := range allocs {
				want[a.ID] = true
			}
			for _, a := range gone {
				delete(want, a.ID)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("catalog allocations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFSM_ServiceCatalogSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	src, _, _ := catalogFixture(t)
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	dst := testFSM(t, nil)
	if err := dst.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	want, _ := src.State().ServiceRegistrations(nil)
	got, err := dst.State().ServiceRegistrations(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3 {
		t.Fatalf("fixture has %d instances, want 3", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restored catalog differs (-want +got):\n%s", diff)
	}
	if idx, _ := dst.State().Index("service_registrations"); idx != 6 {
		t.Errorf("restored table index %d, want 6", idx)
	}
}
