package state

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// canaryFixture is a deployment whose group wants 2 canaries, with two
// canaries and one other allocation placed at index 5.
func canaryFixture(t *testing.T) (*deployFixture, []*structs.Allocation) {
	t.Helper()
	f := newDeployFixture(t)
	d := f.d.Copy()
	d.TaskGroups["web"].DesiredCanaries = 2
	must(t, f.s.UpsertDeployment(4, d))
	f.d = d
	return f, f.place(t, 5, time.Unix(1700000000, 0), true, true, false)
}

func setHealth(t *testing.T, f *deployFixture, index uint64, healthy map[string]bool) {
	t.Helper()
	var ups []*structs.Allocation
	for id, h := range healthy {
		ups = append(ups, health(id, h, time.Unix(1700000100, 0)))
	}
	must(t, f.s.UpdateAllocsFromClient(index, ups))
}

func TestUpdateDeploymentPromotion(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700001000, 0).UTC()
	cases := []struct {
		name string
		// prepare runs on the fixture; allocs are canary, canary, other.
		prepare func(t *testing.T, f *deployFixture, allocs []*structs.Allocation)
		req     func(f *deployFixture) structs.DeploymentPromoteRequest
		wantErr error
		wantMsg string
	}{
		{name: "unknown deployment", req: func(*deployFixture) structs.DeploymentPromoteRequest {
			return structs.DeploymentPromoteRequest{DeploymentID: "nope", All: true}
		}, wantErr: structs.ErrNotFound},
		{name: "terminal deployment", prepare: func(t *testing.T, f *deployFixture, _ []*structs.Allocation) {
			must(t, f.s.UpdateDeploymentStatus(6, &structs.DeploymentStatusUpdateRequest{DeploymentUpdate: &structs.DeploymentStatusUpdate{
				DeploymentID: f.d.ID, Status: structs.DeploymentStatusCancelled}}))
		}, wantErr: structs.ErrBadRequest, wantMsg: `has terminal status "cancelled"`},
		{name: "unhealthy canaries", prepare: func(t *testing.T, f *deployFixture, a []*structs.Allocation) {
			setHealth(t, f, 6, map[string]bool{a[0].ID: true, a[1].ID: false})
		}, wantErr: structs.ErrBadRequest, wantMsg: "canary allocation \"" /* a[1] */},
		{name: "canaries not judged yet", wantErr: structs.ErrBadRequest, wantMsg: "is not healthy"},
		{name: "fewer healthy canaries than desired", prepare: func(t *testing.T, f *deployFixture, a []*structs.Allocation) {
			setHealth(t, f, 6, map[string]bool{a[0].ID: true})
			must(t, f.s.UpsertPlanResults(7, &structs.ApplyPlanResultsRequest{AllocsStopped: []*structs.Allocation{
				{ID: a[1].ID, DesiredStatus: structs.AllocDesiredStatusStop}}}))
		}, wantErr: structs.ErrBadRequest, wantMsg: `task group "web" has 1 of 2 canaries healthy`},
		{name: "unknown group", req: func(f *deployFixture) structs.DeploymentPromoteRequest {
			return structs.DeploymentPromoteRequest{DeploymentID: f.d.ID, Groups: []string{"db"}}
		}, wantErr: structs.ErrBadRequest, wantMsg: `has no task group "db" (its groups: "web")`},
		{name: "no canaries to promote", prepare: func(t *testing.T, f *deployFixture, _ []*structs.Allocation) {
			d := f.d.Copy()
			d.TaskGroups["web"].DesiredCanaries, d.TaskGroups["web"].PlacedCanaries = 0, nil
			must(t, f.s.UpsertDeployment(6, d))
		}, wantErr: structs.ErrBadRequest, wantMsg: "no canaries to promote"},
		{name: "healthy canaries are promoted", prepare: func(t *testing.T, f *deployFixture, a []*structs.Allocation) {
			setHealth(t, f, 6, map[string]bool{a[0].ID: true, a[1].ID: true})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, allocs := canaryFixture(t)
			if tc.prepare != nil {
				tc.prepare(t, f, allocs)
			}
			req := structs.DeploymentPromoteRequest{DeploymentID: f.d.ID, All: true}
			if tc.req != nil {
				req = tc.req(f)
			}
			checkErr := f.s.CheckDeploymentPromotion(&req)
			before, _ := f.s.DeploymentByID(nil, f.d.ID)
			eval := mock.EvalFor(f.job)
			err := f.s.UpdateDeploymentPromotion(20, &structs.ApplyDeploymentPromoteRequest{DeploymentPromoteRequest: req, Now: now, Eval: eval})
			if tc.wantErr != nil {
				for _, e := range []error{checkErr, err} {
					if !errors.Is(e, tc.wantErr) || !strings.Contains(e.Error(), tc.wantMsg) {
						t.Fatalf("err = %v, want %v containing %q", e, tc.wantErr, tc.wantMsg)
					}
				}
				after, _ := f.s.DeploymentByID(nil, f.d.ID)
				stored, _ := f.s.EvalByID(nil, eval.ID)
				if !reflect.DeepEqual(before, after) || stored != nil {
					t.Fatal("a refused promotion changed the state")
				}
				return
			}
			must(t, checkErr)
			must(t, err)
			g := f.group(t)
			if !g.Promoted || !g.RequireProgressBy.Equal(now.Add(structs.DefaultUpdateProgressDeadline)) {
				t.Errorf("group after promotion: %+v; want promoted with the progress deadline restarted", g)
			}
			for _, a := range allocs[:2] {
				if stored, _ := f.s.AllocByID(nil, a.ID); !stored.DeploymentStatus.Canary {
					t.Errorf("canary %s lost its Canary flag", a.ID)
				}
			}
			if stored, _ := f.s.EvalByID(nil, eval.ID); stored == nil {
				t.Error("the promotion's evaluation was not written")
			}
		})
	}
}

func TestUpdateDeploymentAllocHealth(t *testing.T) {
	t.Parallel()
	at := time.Unix(1700002000, 0).UTC()
	cases := []struct {
		name    string
		req     func(t *testing.T, f *deployFixture, a []*structs.Allocation) structs.DeploymentAllocHealthRequest
		fail    bool
		wantErr error
		wantMsg string
	}{
		{name: "no allocation named", req: func(_ *testing.T, f *deployFixture, _ []*structs.Allocation) structs.DeploymentAllocHealthRequest {
			return structs.DeploymentAllocHealthRequest{DeploymentID: f.d.ID}
		}, wantErr: structs.ErrBadRequest, wantMsg: "name at least one"},
		{name: "allocation outside the deployment", req: func(t *testing.T, f *deployFixture, a []*structs.Allocation) structs.DeploymentAllocHealthRequest {
			other := mock.AllocFor(f.job, f.node, 9)
			other.Job = nil
			must(t, f.s.UpsertPlanResults(6, &structs.ApplyPlanResultsRequest{Job: f.job, AllocsUpdated: []*structs.Allocation{other}}))
			return structs.DeploymentAllocHealthRequest{DeploymentID: f.d.ID, HealthyAllocationIDs: []string{a[0].ID, other.ID}}
		}, wantErr: structs.ErrBadRequest, wantMsg: "is not part of deployment"},
		{name: "unknown allocation", req: func(_ *testing.T, f *deployFixture, _ []*structs.Allocation) structs.DeploymentAllocHealthRequest {
			return structs.DeploymentAllocHealthRequest{DeploymentID: f.d.ID, UnhealthyAllocationIDs: []string{"nope"}}
		}, wantErr: structs.ErrBadRequest, wantMsg: `allocation "nope" does not exist`},
		{name: "named twice", req: func(_ *testing.T, f *deployFixture, a []*structs.Allocation) structs.DeploymentAllocHealthRequest {
			return structs.DeploymentAllocHealthRequest{DeploymentID: f.d.ID, HealthyAllocationIDs: []string{a[0].ID}, UnhealthyAllocationIDs: []string{a[0].ID}}
		}, wantErr: structs.ErrBadRequest, wantMsg: "is named more than once"},
		{name: "unknown deployment", req: func(*testing.T, *deployFixture, []*structs.Allocation) structs.DeploymentAllocHealthRequest {
			return structs.DeploymentAllocHealthRequest{DeploymentID: "nope", HealthyAllocationIDs: []string{"x"}}
		}, wantErr: structs.ErrNotFound},
		{name: "healthy and unhealthy, with the failure in the same entry", req: func(_ *testing.T, f *deployFixture, a []*structs.Allocation) structs.DeploymentAllocHealthRequest {
			return structs.DeploymentAllocHealthRequest{DeploymentID: f.d.ID, HealthyAllocationIDs: []string{a[0].ID, a[1].ID}, UnhealthyAllocationIDs: []string{a[2].ID}}
		}, fail: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, allocs := canaryFixture(t)
			req := tc.req(t, f, allocs)
			apply := &structs.ApplyDeploymentAllocHealthRequest{DeploymentAllocHealthRequest: req, Timestamp: at, Eval: mock.EvalFor(f.job)}
			if tc.fail {
				apply.DeploymentUpdate = &structs.DeploymentStatusUpdate{DeploymentID: f.d.ID,
					Status: structs.DeploymentStatusFailed, StatusDescription: structs.DeploymentStatusDescriptionFailedAllocations}
			}
			checkErr := f.s.CheckDeploymentAllocHealth(&req)
			before, _ := f.s.DeploymentByID(nil, f.d.ID)
			err := f.s.UpdateDeploymentAllocHealth(20, apply)
			if tc.wantErr != nil {
				for _, e := range []error{checkErr, err} {
					if !errors.Is(e, tc.wantErr) || !strings.Contains(e.Error(), tc.wantMsg) {
						t.Fatalf("err = %v, want %v containing %q", e, tc.wantErr, tc.wantMsg)
					}
				}
				after, _ := f.s.DeploymentByID(nil, f.d.ID)
				a0, _ := f.s.AllocByID(nil, allocs[0].ID)
				if !reflect.DeepEqual(before, after) || a0.DeploymentStatus.HasHealth() {
					t.Fatal("refused health marks changed the state")
				}
				return
			}
			must(t, checkErr)
			must(t, err)
			d, _ := f.s.DeploymentByID(nil, f.d.ID)
			g := d.TaskGroups["web"]
			if g.HealthyAllocs != 2 || g.UnhealthyAllocs != 1 || d.Status != structs.DeploymentStatusFailed {
				t.Fatalf("deployment %s with %+v; want failed with 2 healthy, 1 unhealthy", d.Status, g)
			}
			a2, _ := f.s.AllocByID(nil, allocs[2].ID)
			if !a2.DeploymentStatus.IsUnhealthy() || !a2.DeploymentStatus.Timestamp.Equal(at) || a2.DeploymentStatus.ModifyIndex != 20 {
				t.Fatalf("unhealthy alloc status %+v", a2.DeploymentStatus)
			}
		})
	}
}
