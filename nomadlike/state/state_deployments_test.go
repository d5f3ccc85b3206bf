package state

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestDeployments_Queries(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job, other := mock.Job(), mock.Job()
	must(t, s.UpsertJob(1, job))
	must(t, s.UpsertJob(2, other))
	older, newer, elsewhere := mock.DeploymentFor(job), mock.DeploymentFor(job), mock.DeploymentFor(other)
	older.ID, newer.ID, elsewhere.ID = "aaaa-1", "aaab-2", "bbbb-3"
	must(t, s.UpsertDeployment(10, older))
	must(t, s.UpsertDeployment(11, newer))
	must(t, s.UpsertDeployment(12, elsewhere))
	// A later write keeps the create index.
	must(t, s.UpsertDeployment(13, older))

	ids := func(ds []*structs.Deployment) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	all, err := s.Deployments(nil, AllNamespaces, "")
	must(t, err)
	byPrefix, err := s.Deployments(nil, structs.DefaultNamespace, "aaa")
	must(t, err)
	otherNS, err := s.Deployments(nil, "other", "")
	must(t, err)
	byJob, err := s.DeploymentsByJobID(nil, job.Namespace, job.ID)
	must(t, err)
	latest, err := s.LatestDeploymentByJobID(nil, job.Namespace, job.ID)
	must(t, err)
	none, err := s.LatestDeploymentByJobID(nil, job.Namespace, "nope")
	must(t, err)
	got, err := s.DeploymentByID(nil, older.ID)
	must(t, err)
	checks := []struct {
		name      string
		got, want interface{}
	}{
		{"all, newest first", ids(all), []string{"bbbb-3", "aaab-2", "aaaa-1"}},
		{"by prefix", ids(byPrefix), []string{"aaab-2", "aaaa-1"}},
		{"other namespace", ids(otherNS), []string(nil)},
		{"by job", ids(byJob), []string{"aaab-2", "aaaa-1"}},
		{"latest", latest.ID, "aaab-2"},
		{"latest of a job without any", none == nil, true},
		{"indexes", [2]uint64{got.CreateIndex, got.ModifyIndex}, [2]uint64{10, 13}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if idx, _ := s.Index(TableDeployment); idx != 13 {
		t.Errorf("deployment table index %d, want 13", idx)
	}
}

// deployFixture is a job with a deployment of its only group ("web",
// count 10, progress deadline 10m) and a node, committed at indexes 1-3.
type deployFixture struct {
	s    *StateStore
	job  *structs.Job
	node *structs.Node
	d    *structs.Deployment
}

func newDeployFixture(t *testing.T) *deployFixture {
	t.Helper()
	s := testStore(t)
	job, node := mock.Job(), mock.Node()
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	must(t, s.UpsertNode(1, node))
	must(t, s.UpsertJob(2, job))
	stored, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	d := mock.DeploymentFor(stored)
	must(t, s.UpsertDeployment(3, d))
	return &deployFixture{s: s, job: stored, node: node, d: d}
}

// place commits a plan placing one allocation per entry of canary (true for
// a canary) in the deployment, at index, placed at the given time.
func (f *deployFixture) place(t *testing.T, index uint64, at time.Time, canary ...bool) []*structs.Allocation {
	t.Helper()
	var allocs []*structs.Allocation
	for i, c := range canary {
		a := mock.AllocFor(f.job, f.node, i)
		a.Job, a.ClientStatus = nil, structs.AllocClientStatusPending
		a.DeploymentID = f.d.ID
		a.CreateTime, a.ModifyTime = at.UnixNano(), at.UnixNano()
		if c {
			a.DeploymentStatus = &structs.AllocDeploymentStatus{Canary: true}
		}
		allocs = append(allocs, a)
	}
	must(t, f.s.UpsertPlanResults(index, &structs.ApplyPlanResultsRequest{Job: f.job, AllocsUpdated: allocs}))
	return allocs
}

func (f *deployFixture) group(t *testing.T) *structs.DeploymentState {
	t.Helper()
	d, err := f.s.DeploymentByID(nil, f.d.ID)
	must(t, err)
	return d.TaskGroups["web"]
}

func health(id string, healthy bool, at time.Time) *structs.Allocation {
	return &structs.Allocation{ID: id, ClientStatus: structs.AllocClientStatusRunning,
		DeploymentStatus: &structs.AllocDeploymentStatus{Healthy: &healthy, Timestamp: at}}
}

// TestDeployment_AllocHealthCounting follows one deployment through the
// writes that move its counts: placements from plans, then clients'
// health reports, each step checking placed/healthy/unhealthy, the
// canaries and the progress deadline.
func TestDeployment_AllocHealthCounting(t *testing.T) {
	t.Parallel()
	f := newDeployFixture(t)
	t0 := time.Unix(1700000000, 0).UTC()
	pd := structs.DefaultUpdateProgressDeadline
	allocs := f.place(t, 4, t0, false, true, false)
	a0, a1, a2 := allocs[0].ID, allocs[1].ID, allocs[2].ID
	type counts struct{ placed, healthy, unhealthy int }
	steps := []struct {
		name     string
		apply    func(index uint64) error
		want     counts
		wantBy   time.Time
		canaries []string
	}{
		{"placements start the progress clock", nil, counts{3, 0, 0}, t0.Add(pd), []string{a1}},
		{"a first healthy report counts and extends the deadline", func(i uint64) error {
			return f.s.UpdateAllocsFromClient(i, []*structs.Allocation{health(a0, true, t0.Add(time.Minute))})
		}, counts{3, 1, 0}, t0.Add(time.Minute + pd), []string{a1}},
		{"the same report again changes nothing", func(i uint64) error {
			return f.s.UpdateAllocsFromClient(i, []*structs.Allocation{health(a0, true, t0.Add(2*time.Minute))})
		}, counts{3, 1, 0}, t0.Add(time.Minute + pd), []string{a1}},
		{"a report without health keeps the health", func(i uint64) error {
			return f.s.UpdateAllocsFromClient(i, []*structs.Allocation{{ID: a0, ClientStatus: structs.AllocClientStatusRunning}})
		}, counts{3, 1, 0}, t0.Add(time.Minute + pd), []string{a1}},
		{"an unhealthy report counts", func(i uint64) error {
			return f.s.UpdateAllocsFromClient(i, []*structs.Allocation{health(a2, false, t0.Add(3*time.Minute))})
		}, counts{3, 1, 1}, t0.Add(time.Minute + pd), []string{a1}},
		{"a flip moves the count", func(i uint64) error {
			return f.s.UpdateAllocsFromClient(i, []*structs.Allocation{health(a0, false, t0.Add(4*time.Minute))})
		}, counts{3, 0, 2}, t0.Add(time.Minute + pd), []string{a1}},
		{"a client cannot make an allocation a canary", func(i uint64) error {
			h := health(a2, false, t0.Add(5*time.Minute))
			h.DeploymentStatus.Canary = true
			return f.s.UpdateAllocsFromClient(i, []*structs.Allocation{h})
		}, counts{3, 0, 2}, t0.Add(time.Minute + pd), []string{a1}},
		{"a stale plan update keeps the client's health", func(i uint64) error {
			stale := allocs[1].Copy()
			stale.DeploymentStatus = &structs.AllocDeploymentStatus{Canary: true}
			if err := f.s.UpdateAllocsFromClient(i, []*structs.Allocation{health(a1, true, t0.Add(6*time.Minute))}); err != nil {
				return err
			}
			return f.s.UpsertPlanResults(i+100, &structs.ApplyPlanResultsRequest{Job: f.job, AllocsUpdated: []*structs.Allocation{stale}})
		}, counts{3, 1, 2}, t0.Add(6*time.Minute + pd), []string{a1}},
	}
	index := uint64(10)
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			index++
			if st.apply != nil {
				must(t, st.apply(index))
			}
			g := f.group(t)
			if got := (counts{g.PlacedAllocs, g.HealthyAllocs, g.UnhealthyAllocs}); got != st.want {
				t.Errorf("counts %+v, want %+v", got, st.want)
			}
			if !g.RequireProgressBy.Equal(st.wantBy) {
				t.Errorf("RequireProgressBy %v, want %v", g.RequireProgressBy, st.wantBy)
			}
			if !reflect.DeepEqual(g.PlacedCanaries, st.canaries) {
				t.Errorf("PlacedCanaries %v, want %v", g.PlacedCanaries, st.canaries)
			}
		})
	}
	stored, err := f.s.AllocByID(nil, a1)
	must(t, err)
	if !stored.DeploymentStatus.IsHealthy() || !stored.DeploymentStatus.Canary || stored.DeploymentStatus.ModifyIndex == 0 {
		t.Fatalf("canary after the stale plan: %+v, want healthy, canary, ModifyIndex set", stored.DeploymentStatus)
	}
	a2Stored, err := f.s.AllocByID(nil, a2)
	must(t, err)
	if a2Stored.DeploymentStatus.Canary {
		t.Fatal("the client's Canary flag was stored")
	}
}

func TestDeployment_AllocsOutsideTheRollout(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		alloc func(f *deployFixture, a *structs.Allocation)
	}{
		{"no deployment ID", func(_ *deployFixture, a *structs.Allocation) { a.DeploymentID = "" }},
		{"unknown deployment", func(_ *deployFixture, a *structs.Allocation) { a.DeploymentID = "gone" }},
		{"group not in the deployment", func(f *deployFixture, a *structs.Allocation) { a.TaskGroup = "other" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newDeployFixture(t)
			a := mock.AllocFor(f.job, f.node, 0)
			a.Job, a.DeploymentID = nil, f.d.ID
			tc.alloc(f, a)
			must(t, f.s.UpsertPlanResults(4, &structs.ApplyPlanResultsRequest{Job: f.job, AllocsUpdated: []*structs.Allocation{a}}))
			must(t, f.s.UpdateAllocsFromClient(5, []*structs.Allocation{health(a.ID, true, time.Now())}))
			if g := f.group(t); g.PlacedAllocs+g.HealthyAllocs != 0 {
				t.Fatalf("counted: %+v", g)
			}
			if stored, _ := f.s.AllocByID(nil, a.ID); !stored.DeploymentStatus.IsHealthy() || stored.DeploymentStatus.ModifyIndex != 5 {
				t.Fatalf("health stored as %+v, want healthy at index 5", stored.DeploymentStatus)
			}
		})
	}
}

func TestDeployment_PlanKeepsStoredCounts(t *testing.T) {
	t.Parallel()
	f := newDeployFixture(t)
	allocs := f.place(t, 4, time.Unix(1700000000, 0), true)
	must(t, f.s.UpdateAllocsFromClient(5, []*structs.Allocation{health(allocs[0].ID, true, time.Unix(1700000060, 0))}))
	// The scheduler planned from the deployment as it was at index 3 and
	// raises the desired total.
	planned := f.d.Copy()
	planned.TaskGroups["web"].DesiredTotal = 12
	must(t, f.s.UpsertPlanResults(6, &structs.ApplyPlanResultsRequest{Job: f.job, Deployment: planned}))
	g := f.group(t)
	if g.DesiredTotal != 12 || g.PlacedAllocs != 1 || g.HealthyAllocs != 1 || len(g.PlacedCanaries) != 1 || g.RequireProgressBy.IsZero() {
		t.Fatalf("after a stale plan: %+v; want desired 12 and the stored counts kept", g)
	}
}

func TestUpdateDeploymentStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		prepare func(f *deployFixture)
		req     func(f *deployFixture) *structs.DeploymentStatusUpdateRequest
		wantErr error
		check   func(t *testing.T, f *deployFixture)
	}{
		{name: "unknown deployment", req: func(f *deployFixture) *structs.DeploymentStatusUpdateRequest {
			return &structs.DeploymentStatusUpdateRequest{DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: "nope", Status: "failed"}}
		}, wantErr: structs.ErrNotFound},
		{name: "terminal deployment", prepare: func(f *deployFixture) {
			d := f.d.Copy()
			d.Status = structs.DeploymentStatusFailed
			_ = f.s.UpsertDeployment(4, d)
		}, req: func(f *deployFixture) *structs.DeploymentStatusUpdateRequest {
			return &structs.DeploymentStatusUpdateRequest{DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: f.d.ID, Status: "paused"}}
		}, wantErr: structs.ErrBadRequest},
		{name: "success marks the version stable", req: func(f *deployFixture) *structs.DeploymentStatusUpdateRequest {
			return &structs.DeploymentStatusUpdateRequest{DeploymentUpdate: &structs.DeploymentStatusUpdate{
				DeploymentID: f.d.ID, Status: structs.DeploymentStatusSuccessful, StatusDescription: structs.DeploymentStatusDescriptionSuccessful}}
		}, check: func(t *testing.T, f *deployFixture) {
			job, _ := f.s.JobByID(nil, f.job.Namespace, f.job.ID)
			v, _ := f.s.JobByIDAndVersion(nil, f.job.Namespace, f.job.ID, 0)
			if !job.Stable || !v.Stable {
				t.Fatalf("job stable %v, version 0 stable %v; want both", job.Stable, v.Stable)
			}
		}},
		{name: "failure with a revert registers the job and its eval together", req: func(f *deployFixture) *structs.DeploymentStatusUpdateRequest {
			revert := f.job.Copy()
			revert.TaskGroups[0].Count = 4
			eval := mock.EvalFor(f.job)
			return &structs.DeploymentStatusUpdateRequest{
				DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: f.d.ID, Status: structs.DeploymentStatusFailed},
				Job:              revert, Eval: eval}
		}, check: func(t *testing.T, f *deployFixture) {
			job, _ := f.s.JobByID(nil, f.job.Namespace, f.job.ID)
			evals, _ := f.s.EvalsByJob(nil, f.job.Namespace, f.job.ID)
			if job.Version != 1 || len(evals) != 1 || evals[0].JobModifyIndex != job.JobModifyIndex {
				t.Fatalf("job version %d, %d evals (JobModifyIndex %v vs %d); want version 1 and its eval", job.Version, len(evals), evals, job.JobModifyIndex)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newDeployFixture(t)
			if tc.prepare != nil {
				tc.prepare(f)
			}
			before, _ := f.s.DeploymentByID(nil, f.d.ID)
			err := f.s.UpdateDeploymentStatus(10, tc.req(f))
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				after, _ := f.s.DeploymentByID(nil, f.d.ID)
				if !reflect.DeepEqual(before, after) {
					t.Fatal("a refused update changed the deployment")
				}
				return
			}
			must(t, err)
			tc.check(t, f)
		})
	}
}

// BenchmarkClientHealthUpdate measures what deployment accounting adds to
// the client update path: a batch of 50 health reports for allocations
// of a deployment, against the same batch for allocations outside one.
func BenchmarkClientHealthUpdate(b *testing.B) {
	for _, inDeployment := range []bool{false, true} {
		name := "no_deployment"
		if inDeployment {
			name = "deployment"
		}
		b.Run(name, func(b *testing.B) {
			s, err := NewStateStore(nil)
			if err != nil {
				b.Fatal(err)
			}
			job, node := mock.Job(), mock.Node()
			job.TaskGroups[0].Count = 50
			_ = s.UpsertNode(1, node)
			_ = s.UpsertJob(2, job)
			stored, _ := s.JobByID(nil, job.Namespace, job.ID)
			d := mock.DeploymentFor(stored)
			_ = s.UpsertDeployment(3, d)
			var allocs []*structs.Allocation
			for i := 0; i < 50; i++ {
				a := mock.AllocFor(stored, node, i)
				a.Job = nil
				if inDeployment {
					a.DeploymentID = d.ID
				}
				allocs = append(allocs, a)
			}
			if err := s.UpsertPlanResults(4, &structs.ApplyPlanResultsRequest{Job: stored, AllocsUpdated: allocs}); err != nil {
				b.Fatal(err)
			}
			at := time.Unix(1700000000, 0)
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				batch := make([]*structs.Allocation, len(allocs))
				for i, a := range allocs {
					// Alternate the verdict so every report is a change.
					batch[i] = health(a.ID, n%2 == 0, at)
				}
				if err := s.UpdateAllocsFromClient(uint64(10+n), batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
