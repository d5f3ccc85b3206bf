package state

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func testStore(t *testing.T) *StateStore {
	t.Helper()
	s, err := NewStateStore(hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("new state store: %v", err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpsertJob_Indexes(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job := mock.Job()
	must(t, s.UpsertJob(10, job))

	got, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	if got.CreateIndex != 10 || got.ModifyIndex != 10 || got.JobModifyIndex != 10 || got.Version != 0 {
		t.Fatalf("new job: indexes create=%d modify=%d jobModify=%d version=%d, want 10/10/10/0",
			got.CreateIndex, got.ModifyIndex, got.JobModifyIndex, got.Version)
	}
	if got.Status != structs.JobStatusPending {
		t.Fatalf("new job status %q, want pending", got.Status)
	}
	if got == job {
		t.Fatal("store kept the caller's pointer: later changes by the caller would leak in")
	}

	cases := []struct {
		name          string
		index         uint64
		change        func(j *structs.Job)
		wantJobModify uint64
		wantVersion   uint64
	}{
		{"same spec keeps version", 11, func(j *structs.Job) { j.SubmitTime = 99 }, 10, 0},
		{"count change bumps version", 12, func(j *structs.Job) { j.TaskGroups[0].Count = 3 }, 12, 1},
		{"stop bumps version", 13, func(j *structs.Job) { j.Stop = true }, 13, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur, err := s.JobByID(nil, job.Namespace, job.ID)
			must(t, err)
			next := cur.Copy()
			tc.change(next)
			must(t, s.UpsertJob(tc.index, next))
			got, err := s.JobByID(nil, job.Namespace, job.ID)
			must(t, err)
			if got.CreateIndex != 10 || got.ModifyIndex != tc.index || got.JobModifyIndex != tc.wantJobModify || got.Version != tc.wantVersion {
				t.Fatalf("create=%d modify=%d jobModify=%d version=%d, want 10/%d/%d/%d",
					got.CreateIndex, got.ModifyIndex, got.JobModifyIndex, got.Version, tc.index, tc.wantJobModify, tc.wantVersion)
			}
			idx, err := s.Index(TableJobs)
			must(t, err)
			if idx != tc.index {
				t.Fatalf("jobs table index %d, want %d", idx, tc.index)
			}
		})
	}
}

func TestJobs_PrefixAndNamespace(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	for i, id := range []string{"web", "web-2", "api"} {
		j := mock.Job()
		j.ID = id
		must(t, s.UpsertJob(uint64(i+1), j))
	}
	other := mock.Job()
	other.ID, other.Namespace = "web-3", "other"
	must(t, s.UpsertJob(5, other))

	cases := []struct {
		ns, prefix string
		want       []string
	}{
		{structs.DefaultNamespace, "", []string{"api", "web", "web-2"}},
		{structs.DefaultNamespace, "we", []string{"web", "web-2"}},
		{AllNamespaces, "web", []string{"web", "web-2", "web-3"}},
		{"other", "", []string{"web-3"}},
		{structs.DefaultNamespace, "zzz", nil},
	}
	for _, tc := range cases {
		t.Run(tc.ns+"/"+tc.prefix, func(t *testing.T) {
			jobs, err := s.Jobs(nil, tc.ns, tc.prefix)
			must(t, err)
			var ids []string
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
			if len(ids) != len(tc.want) {
				t.Fatalf("got %v, want %v", ids, tc.want)
			}
			for i := range ids {
				if ids[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", ids, tc.want)
				}
			}
		})
	}
}

func TestDeleteJob(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job := mock.Job()
	must(t, s.UpsertJob(1, job))
	must(t, s.DeleteJob(2, job.Namespace, job.ID))
	got, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	if got != nil {
		t.Fatal("job still present after delete")
	}
	sum, err := s.JobSummaryByID(nil, job.Namespace, job.ID)
	must(t, err)
	if sum != nil {
		t.Fatal("summary still present after delete")
	}
	if err := s.DeleteJob(3, job.Namespace, job.ID); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("second delete: got %v, want ErrNotFound", err)
	}
}

func TestNodes_CRUD(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	node := mock.Node()
	node.SchedulingEligibility = ""
	must(t, s.UpsertNode(3, node))
	got, err := s.NodeByID(nil, node.ID)
	must(t, err)
	if got.CreateIndex != 3 || got.SchedulingEligibility != structs.NodeSchedulingEligible {
		t.Fatalf("create index %d eligibility %q, want 3 and eligible", got.CreateIndex, got.SchedulingEligibility)
	}

	must(t, s.UpdateNodeEligibility(4, node.ID, structs.NodeSchedulingIneligible, 1))
	must(t, s.UpsertNode(5, node)) // re-registration keeps the operator's choice
	must(t, s.UpdateNodeStatus(6, node.ID, structs.NodeStatusDown, 7))
	got, err = s.NodeByID(nil, node.ID)
	must(t, err)
	if got.CreateIndex != 3 || got.ModifyIndex != 6 || got.Status != structs.NodeStatusDown ||
		got.StatusUpdatedAt != 7 || got.SchedulingEligibility != structs.NodeSchedulingIneligible {
		t.Fatalf("after updates: %+v", got)
	}
	if err := s.UpdateNodeStatus(7, "missing", structs.NodeStatusReady, 0); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("update of unknown node: got %v, want ErrNotFound", err)
	}

	nodes, err := s.NodesByIDPrefix(nil, node.ID[:3])
	must(t, err)
	if len(nodes) != 1 {
		t.Fatalf("prefix lookup found %d nodes, want 1", len(nodes))
	}
	must(t, s.DeleteNode(8, []string{node.ID}))
	got, err = s.NodeByID(nil, node.ID)
	must(t, err)
	if got != nil {
		t.Fatal("node present after delete")
	}
}

// placeAllocs registers job and commits a plan of n pending allocations on
// node at index, as the plan applier would.
func placeAllocs(t *testing.T, s *StateStore, index uint64, job *structs.Job, node *structs.Node, n int) []*structs.Allocation {
	t.Helper()
	var allocs []*structs.Allocation
	for i := 0; i < n; i++ {
		a := mock.AllocFor(job, node, i)
		a.Job = nil
		a.ClientStatus = structs.AllocClientStatusPending
		allocs = append(allocs, a)
	}
	stored, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	must(t, s.UpsertPlanResults(index, &structs.ApplyPlanResultsRequest{Job: stored, AllocsUpdated: allocs}))
	return allocs
}

func TestPlanResultsAndClientUpdates(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job, node := mock.Job(), mock.Node()
	must(t, s.UpsertNode(1, node))
	must(t, s.UpsertJob(2, job))
	eval := mock.EvalFor(job)
	eval.QueuedAllocations = map[string]int{"web": 3}
	must(t, s.UpsertEvals(3, []*structs.Evaluation{eval}))
	allocs := placeAllocs(t, s, 4, job, node, 3)

	stored, err := s.AllocByID(nil, allocs[0].ID)
	must(t, err)
	if stored.Job == nil || stored.Job.ID != job.ID {
		t.Fatal("plan result alloc has no job attached")
	}
	if stored.CreateIndex != 4 || stored.AllocModifyIndex != 4 {
		t.Fatalf("alloc indexes create=%d allocModify=%d, want 4/4", stored.CreateIndex, stored.AllocModifyIndex)
	}
	assertSummary(t, s, job, structs.TaskGroupSummary{Starting: 3})
	assertJobStatus(t, s, job, structs.JobStatusRunning)

	// The client reports one running, one failed.
	up := []*structs.Allocation{
		{ID: allocs[0].ID, ClientStatus: structs.AllocClientStatusRunning, TaskStates: map[string]*structs.TaskState{"web": {State: structs.TaskStateRunning}}},
		{ID: allocs[1].ID, ClientStatus: structs.AllocClientStatusFailed},
		{ID: "gone", ClientStatus: structs.AllocClientStatusRunning},
	}
	must(t, s.UpdateAllocsFromClient(5, up))
	stored, err = s.AllocByID(nil, allocs[0].ID)
	must(t, err)
	if stored.ModifyIndex != 5 || stored.AllocModifyIndex != 4 || stored.TaskStates["web"].State != structs.TaskStateRunning {
		t.Fatalf("client update: modify=%d allocModify=%d states=%v; want 5, 4 (unchanged), running",
			stored.ModifyIndex, stored.AllocModifyIndex, stored.TaskStates)
	}
	assertSummary(t, s, job, structs.TaskGroupSummary{Starting: 1, Running: 1, Failed: 1})

	// Stopping every allocation keeps their job; the job turns dead once the
	// clients finish them and the eval is complete.
	var stops []*structs.Allocation
	for _, a := range allocs {
		stop := &structs.Allocation{ID: a.ID, DesiredStatus: structs.AllocDesiredStatusStop, DesiredDescription: "job stopped"}
		stops = append(stops, stop)
	}
	eval = eval.Copy()
	eval.Status = structs.EvalStatusComplete
	must(t, s.UpsertPlanResults(6, &structs.ApplyPlanResultsRequest{AllocsStopped: stops, UpdatedEvals: []*structs.Evaluation{eval}}))
	stored, err = s.AllocByID(nil, allocs[2].ID)
	must(t, err)
	if stored.Job == nil || stored.DesiredStatus != structs.AllocDesiredStatusStop || stored.AllocModifyIndex != 6 {
		t.Fatalf("stopped alloc: job=%v desired=%q allocModify=%d", stored.Job != nil, stored.DesiredStatus, stored.AllocModifyIndex)
	}
	assertJobStatus(t, s, job, structs.JobStatusDead)

	byNode, err := s.AllocsByNode(nil, node.ID)
	must(t, err)
	byJob, err := s.AllocsByJob(nil, job.Namespace, job.ID)
	must(t, err)
	byEval, err := s.AllocsByEval(nil, allocs[0].EvalID)
	must(t, err)
	if len(byNode) != 3 || len(byJob) != 3 || len(byEval) != 1 {
		t.Fatalf("by node %d, by job %d, by eval %d; want 3, 3, 1", len(byNode), len(byJob), len(byEval))
	}
}

func assertSummary(t *testing.T, s *StateStore, job *structs.Job, want structs.TaskGroupSummary) {
	t.Helper()
	sum, err := s.JobSummaryByID(nil, job.Namespace, job.ID)
	must(t, err)
	if got := sum.Summary["web"]; got != want {
		t.Fatalf("summary %+v, want %+v", got, want)
	}
}

func assertJobStatus(t *testing.T, s *StateStore, job *structs.Job, want string) {
	t.Helper()
	got, err := s.JobByID(nil, job.Namespace, job.ID)
	must(t, err)
	if got.Status != want {
		t.Fatalf("job status %q, want %q", got.Status, want)
	}
}

func TestJobStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, s *StateStore, job *structs.Job)
		want  string
	}{
		{"no evals, no allocs", func(*testing.T, *StateStore, *structs.Job) {}, structs.JobStatusPending},
		{"pending eval", func(t *testing.T, s *StateStore, job *structs.Job) {
			must(t, s.UpsertEvals(5, []*structs.Evaluation{mock.EvalFor(job)}))
		}, structs.JobStatusPending},
		{"complete eval, no allocs", func(t *testing.T, s *StateStore, job *structs.Job) {
			e := mock.EvalFor(job)
			e.Status = structs.EvalStatusComplete
			must(t, s.UpsertEvals(5, []*structs.Evaluation{e}))
		}, structs.JobStatusDead},
		{"live alloc", func(t *testing.T, s *StateStore, job *structs.Job) {
			placeAllocs(t, s, 5, job, mock.Node(), 1)
		}, structs.JobStatusRunning},
		{"eval deleted", func(t *testing.T, s *StateStore, job *structs.Job) {
			e := mock.EvalFor(job)
			must(t, s.UpsertEvals(5, []*structs.Evaluation{e}))
			must(t, s.DeleteEvals(6, []string{e.ID}))
		}, structs.JobStatusDead},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			job := mock.Job()
			must(t, s.UpsertJob(1, job))
			tc.setup(t, s, job)
			assertJobStatus(t, s, job, tc.want)
		})
	}
}

func TestSnapshotIsolation(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	job := mock.Job()
	must(t, s.UpsertJob(1, job))
	snap := s.Snapshot()

	changed := job.Copy()
	changed.TaskGroups[0].Count = 99
	must(t, s.UpsertJob(2, changed))
	must(t, s.UpsertNode(3, mock.Node()))

	got, err := snap.JobByID(job.Namespace, job.ID)
	must(t, err)
	if got.TaskGroups[0].Count != 10 {
		t.Fatalf("snapshot sees count %d, want the old 10", got.TaskGroups[0].Count)
	}
	nodes, err := snap.Nodes()
	must(t, err)
	if len(nodes) != 0 || snap.Index() != 1 {
		t.Fatalf("snapshot sees %d nodes at index %d, want 0 at 1", len(nodes), snap.Index())
	}
	// Writes to the snapshot stay there.
	must(t, snap.Store().UpsertNode(4, mock.Node()))
	live, err := s.Nodes(nil)
	must(t, err)
	if len(live) != 1 {
		t.Fatalf("store has %d nodes after a write to its snapshot, want 1", len(live))
	}
}

func TestBlockingQuery(t *testing.T) {
	t.Parallel()
	jobsIndex := func(id string) QueryFn {
		return func(ws memdb.WatchSet, s *StateStore) (uint64, error) {
			if _, err := s.JobByID(ws, structs.DefaultNamespace, id); err != nil {
				return 0, err
			}
			return s.Index(TableJobs)
		}
	}
	t.Run("wakes on change", func(t *testing.T) {
		t.Parallel()
		s := testStore(t)
		job := mock.Job()
		must(t, s.UpsertJob(5, job))
		done := make(chan uint64)
		go func() {
			idx, _ := s.BlockingQuery(context.Background(), 5, time.Minute, jobsIndex(job.ID))
			done <- idx
		}()
		changed := job.Copy()
		changed.Meta = map[string]string{"x": "y"}
		must(t, s.UpsertJob(6, changed))
		select {
		case idx := <-done:
			if idx != 6 {
				t.Fatalf("woke with index %d, want 6", idx)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("blocking query did not wake on a change")
		}
	})
	// A write that lands between two reads of one run must not show in
	// the second: rows from before it paired with the index after it
	// would make the caller wait past a change it never received.
	t.Run("one run reads one view", func(t *testing.T) {
		t.Parallel()
		s := testStore(t)
		job := mock.Job()
		must(t, s.UpsertJob(5, job))
		var sawMeta bool
		idx, err := s.BlockingQuery(context.Background(), 0, time.Minute, func(ws memdb.WatchSet, st *StateStore) (uint64, error) {
			got, err := st.JobByID(ws, structs.DefaultNamespace, job.ID)
			if err != nil {
				return 0, err
			}
			sawMeta = got.Meta["x"] != ""
			changed := job.Copy()
			changed.Meta = map[string]string{"x": "y"}
			if err := s.UpsertJob(6, changed); err != nil {
				return 0, err
			}
			return st.Index(TableJobs)
		})
		must(t, err)
		if sawMeta || idx != 5 {
			t.Fatalf("run saw the job changed=%v with index %d, want the unchanged job at index 5", sawMeta, idx)
		}
	})
	t.Run("times out with old index", func(t *testing.T) {
		t.Parallel()
		s := testStore(t)
		must(t, s.UpsertJob(5, mock.Job()))
		start := time.Now()
		idx, err := s.BlockingQuery(context.Background(), 5, 50*time.Millisecond, jobsIndex("other"))
		must(t, err)
		if idx != 5 || time.Since(start) < 50*time.Millisecond {
			t.Fatalf("returned index %d after %s, want 5 after at least 50ms", idx, time.Since(start))
		}
	})
	t.Run("follows a restore", func(t *testing.T) {
		t.Parallel()
		s := testStore(t)
		job := mock.Job()
		must(t, s.UpsertJob(5, job))
		done := make(chan uint64)
		go func() {
			idx, _ := s.BlockingQuery(context.Background(), 5, time.Minute, jobsIndex(job.ID))
			done <- idx
		}()
		next := testStore(t)
		must(t, next.UpsertJob(9, job))
		s.Abandon(next)
		select {
		case idx := <-done:
			if idx != 9 {
				t.Fatalf("woke with index %d, want 9 from the new store", idx)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("blocking query did not wake on abandon")
		}
	})
	t.Run("no min index returns at once", func(t *testing.T) {
		t.Parallel()
		s := testStore(t)
		idx, err := s.BlockingQuery(context.Background(), 0, time.Hour, jobsIndex("x"))
		must(t, err)
		if idx != 0 {
			t.Fatalf("index %d, want 0", idx)
		}
	})
}

func TestSnapshotMinIndex(t *testing.T) {
	t.Parallel()
	s := testStore(t)
	must(t, s.UpsertJob(3, mock.Job()))
	t.Run("already there", func(t *testing.T) {
		snap, err := s.SnapshotMinIndex(context.Background(), 3)
		must(t, err)
		if snap.Index() != 3 {
			t.Fatalf("index %d, want 3", snap.Index())
		}
	})
	t.Run("waits for the write", func(t *testing.T) {
		got := make(chan uint64, 1)
		go func() {
			snap, err := s.SnapshotMinIndex(context.Background(), 4)
			if err != nil {
				got <- 0
				return
			}
			got <- snap.Index()
		}()
		must(t, s.UpsertNode(4, mock.Node()))
		select {
		case idx := <-got:
			if idx != 4 {
				t.Fatalf("index %d, want 4", idx)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("did not wake on the write")
		}
	})
	t.Run("gives up", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if _, err := s.SnapshotMinIndex(ctx, 100); err == nil {
			t.Fatal("got a snapshot older than asked for")
		}
	})
}
