package nomadlike

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func testFSM(t testing.TB, onEvals func([]*structs.Evaluation)) *FSM {
	t.Helper()
	f, err := NewFSM(FSMConfig{Logger: hclog.NewNullLogger(), OnEvalsCreated: onEvals})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// applyEntry applies msg as the Raft entry at index and returns the FSM's
// response.
func applyEntry(t testing.TB, f *FSM, index uint64, msgType structs.MessageType, msg interface{}) interface{} {
	t.Helper()
	buf, err := encodeMsg(msgType, msg)
	if err != nil {
		t.Fatal(err)
	}
	return f.Apply(&raft.Log{Index: index, Type: raft.LogCommand, Data: buf})
}

func mustApply(t testing.TB, f *FSM, index uint64, msgType structs.MessageType, msg interface{}) {
	t.Helper()
	if resp := applyEntry(t, f, index, msgType, msg); resp != nil {
		t.Fatalf("apply type %d at %d: %v", msgType, index, resp)
	}
}

func TestFSM_ApplyEachType(t *testing.T) {
	t.Parallel()
	var notified []*structs.Evaluation
	f := testFSM(t, func(evals []*structs.Evaluation) { notified = append(notified, evals...) })
	cases := fsmApplyCases()
	// The cases build on each other, so they run in order on one FSM.
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			notified = nil
			index := uint64(i + 1)
			mustApply(t, f, index, tc.msgType, tc.msg)
			tc.check(t, f.State())
			if len(notified) != len(tc.wantEvals) {
				t.Fatalf("%d evals handed to the callback, want %d", len(notified), len(tc.wantEvals))
			}
			for j, e := range notified {
				if e.ID != tc.wantEvals[j] || e.CreateIndex == 0 {
					t.Fatalf("callback got eval %s (create index %d), want %s as stored", e.ID, e.CreateIndex, tc.wantEvals[j])
				}
			}
		})
	}
}

// fsmApplyCase is one entry of TestFSM_ApplyEachType.
type fsmApplyCase struct {
	name    string
	msgType structs.MessageType
	msg     interface{}
	check   func(t *testing.T, s *state.StateStore)
	// wantEvals are the IDs handed to OnEvalsCreated by this entry.
	wantEvals []string
}

// fsmApplyCases returns an entry of every message type; they build on each
// other (register, update, then delete) and must run in order.
func fsmApplyCases() []fsmApplyCase {
	job, node := mock.Job(), mock.Node()
	eval := mock.EvalFor(job)
	alloc := mock.AllocFor(job, node, 0)
	alloc.Job, alloc.ClientStatus = nil, structs.AllocClientStatusPending
	failed := mock.EvalFor(job)
	failed.TriggeredBy = structs.EvalTriggerRetryFailedAlloc
	watcher := mock.EvalFor(job)
	watcher.TriggeredBy = structs.EvalTriggerDeploymentWatcher
	reschedule := true
	return []fsmApplyCase{
		{"node register", structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node},
			func(t *testing.T, s *state.StateStore) {
				n, _ := s.NodeByID(nil, node.ID)
				if n == nil || n.SecretID != node.SecretID {
					t.Fatalf("node not stored with its secret: %+v", n)
				}
			}, nil},
		{"node status", structs.NodeUpdateStatusRequestType,
			&structs.NodeUpdateStatusRequest{NodeID: node.ID, Status: structs.NodeStatusDown, UpdatedAt: 5},
			func(t *testing.T, s *state.StateStore) {
				if n, _ := s.NodeByID(nil, node.ID); n.Status != structs.NodeStatusDown {
					t.Fatalf("status %q, want down", n.Status)
				}
			}, nil},
		{"node eligibility", structs.NodeUpdateEligibilityReqType,
			&structs.NodeUpdateEligibilityRequest{NodeID: node.ID, Eligibility: structs.NodeSchedulingIneligible},
			func(t *testing.T, s *state.StateStore) {
				if n, _ := s.NodeByID(nil, node.ID); n.SchedulingEligibility != structs.NodeSchedulingIneligible {
					t.Fatalf("eligibility %q, want ineligible", n.SchedulingEligibility)
				}
			}, nil},
		{"job register with eval", structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job, Eval: eval},
			func(t *testing.T, s *state.StateStore) {
				j, _ := s.JobByID(nil, job.Namespace, job.ID)
				e, _ := s.EvalByID(nil, eval.ID)
				if j == nil || e == nil || j.CreateIndex != e.CreateIndex {
					t.Fatalf("job %v and eval %v not written in the same entry", j, e)
				}
			}, []string{eval.ID}},
		{"plan results", structs.ApplyPlanResultsRequestType,
			&structs.ApplyPlanResultsRequest{Job: job, AllocsUpdated: []*structs.Allocation{alloc}},
			func(t *testing.T, s *state.StateStore) {
				a, _ := s.AllocByID(nil, alloc.ID)
				if a == nil || a.Job == nil || a.Job.ID != job.ID {
					t.Fatalf("alloc not stored with its job: %+v", a)
				}
			}, nil},
		{"client alloc update with eval", structs.AllocClientUpdateRequestType,
			&structs.AllocUpdateRequest{
				Alloc: []*structs.Allocation{{ID: alloc.ID, ClientStatus: structs.AllocClientStatusFailed}},
				Evals: []*structs.Evaluation{failed},
			},
			func(t *testing.T, s *state.StateStore) {
				if a, _ := s.AllocByID(nil, alloc.ID); a.ClientStatus != structs.AllocClientStatusFailed {
					t.Fatalf("client status %q, want failed", a.ClientStatus)
				}
			}, []string{failed.ID}},
		{"alloc desired transition with eval", structs.AllocUpdateDesiredTransitType,
			&structs.AllocUpdateDesiredTransitionRequest{
				Allocs: map[string]*structs.DesiredTransition{alloc.ID: {Reschedule: &reschedule}},
				Evals:  []*structs.Evaluation{watcher},
			},
			func(t *testing.T, s *state.StateStore) {
				if a, _ := s.AllocByID(nil, alloc.ID); !a.DesiredTransition.ShouldReschedule() {
					t.Fatalf("desired transition %+v, want Reschedule", a.DesiredTransition)
				}
			}, []string{watcher.ID}},
		{"eval update", structs.EvalUpdateRequestType,
			&structs.EvalUpdateRequest{Evals: []*structs.Evaluation{func() *structs.Evaluation {
				e := eval.Copy()
				e.Status = structs.EvalStatusComplete
				return e
			}()}},
			func(t *testing.T, s *state.StateStore) {
				if e, _ := s.EvalByID(nil, eval.ID); e.Status != structs.EvalStatusComplete {
					t.Fatalf("eval status %q, want complete", e.Status)
				}
			}, nil},
		{"eval delete", structs.EvalDeleteRequestType, &structs.EvalDeleteRequest{Evals: []string{eval.ID}},
			func(t *testing.T, s *state.StateStore) {
				if e, _ := s.EvalByID(nil, eval.ID); e != nil {
					t.Fatal("eval still present")
				}
			}, nil},
		{"job stop", structs.JobDeregisterRequestType, &structs.JobDeregisterRequest{JobID: job.ID},
			func(t *testing.T, s *state.StateStore) {
				if j, _ := s.JobByID(nil, job.Namespace, job.ID); j == nil || !j.Stop || j.Version != 1 {
					t.Fatalf("job after stop: %+v", j)
				}
			}, nil},
		{"job purge", structs.JobDeregisterRequestType, &structs.JobDeregisterRequest{JobID: job.ID, Purge: true},
			func(t *testing.T, s *state.StateStore) {
				if j, _ := s.JobByID(nil, job.Namespace, job.ID); j != nil {
					t.Fatal("job present after purge")
				}
			}, nil},
		{"node deregister", structs.NodeDeregisterRequestType, &structs.NodeDeregisterRequest{NodeID: node.ID},
			func(t *testing.T, s *state.StateStore) {
				if n, _ := s.NodeByID(nil, node.ID); n != nil {
					t.Fatal("node present after deregister")
				}
			}, nil},
	}
}

func TestFSM_BadEntries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		data    []byte
		wantErr bool
	}{
		{"unknown type", []byte{77, 0x80}, true},
		{"unknown type flagged ignorable", []byte{77 | byte(structs.IgnoreUnknownTypeFlag), 0x80}, false},
		{"empty entry", nil, true},
		{"undecodable body", []byte{byte(structs.JobRegisterRequestType), 0xc1}, true},
		{"stop of a missing job", func() []byte {
			b, _ := encodeMsg(structs.JobDeregisterRequestType, &structs.JobDeregisterRequest{JobID: "nope"})
			return b
		}(), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := testFSM(t, nil)
			resp := f.Apply(&raft.Log{Index: 1, Type: raft.LogCommand, Data: tc.data})
			err, _ := resp.(error)
			if (err != nil) != tc.wantErr {
				t.Fatalf("response %v, want error: %v", resp, tc.wantErr)
			}
			if idx, _ := f.State().LatestIndex(); idx != 0 {
				t.Fatalf("a rejected entry moved the state index to %d", idx)
			}
		})
	}
}

// memSink is an in-memory raft.SnapshotSink.
type memSink struct {
	bytes.Buffer
	cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }
func (s *memSink) Close() error  { return nil }

// fillState writes one of every kind of object through the FSM.
func fillState(t testing.TB, f *FSM) {
	t.Helper()
	job, node := mock.Job(), mock.Node()
	job.TaskGroups[0].Tasks[0].Config["nested"] = map[string]interface{}{"k": []interface{}{"a", "b"}}
	eval := mock.EvalFor(job)
	eval.QueuedAllocations = map[string]int{"web": 2}
	mustApply(t, f, 3, structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node})
	mustApply(t, f, 4, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job, Eval: eval})
	var allocs []*structs.Allocation
	for i := 0; i < 3; i++ {
		a := mock.AllocFor(job, node, i)
		a.Job = nil
		allocs = append(allocs, a)
	}
	mustApply(t, f, 7, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{Job: job, AllocsUpdated: allocs})
	mustApply(t, f, 9, structs.AllocClientUpdateRequestType, &structs.AllocUpdateRequest{
		Alloc: []*structs.Allocation{{ID: allocs[0].ID, ClientStatus: structs.AllocClientStatusFailed,
			TaskStates: map[string]*structs.TaskState{"web": {State: structs.TaskStateDead, Failed: true,
				Events: []*structs.TaskEvent{{Type: structs.TaskTerminated, ExitCode: 1, Details: map[string]string{"exit_code": "1"}}}}}}},
	})
	other := mock.BatchJob()
	other.Namespace = "other"
	other.Periodic = &structs.PeriodicConfig{Enabled: true, Specs: []string{"@hourly"}, SpecType: structs.PeriodicSpecCron, TimeZone: "UTC"}
	mustApply(t, f, 12, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: other})
	child := other.Copy()
	child.Periodic, child.ParentID = nil, other.ID
	child.ID = structs.PeriodicChildID(other.ID, time.Unix(1700000000, 0))
	mustApply(t, f, 13, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: child, Eval: mock.EvalFor(child)})
	spread := structs.DefaultSchedulerConfig()
	spread.SchedulerAlgorithm = structs.SchedulerAlgorithmSpread
	spread.PreemptionConfig.ServiceSchedulerEnabled = true
	if resp := applyEntry(t, f, 14, structs.SchedulerConfigRequestType, &structs.SchedulerSetConfigRequest{Config: *spread}); resp != true {
		t.Fatalf("scheduler config apply answered %v, want true", resp)
	}
}

// dumpState reads every table, so two stores can be compared.
func dumpState(t testing.TB, s *state.StateStore) map[string]interface{} {
	t.Helper()
	out := make(map[string]interface{})
	var err error
	read := func(name string, v interface{}, e error) {
		out[name] = v
		if e != nil {
			err = e
		}
	}
	indexes, e := s.Indexes()
	read("indexes", indexes, e)
	jobs, e := s.Jobs(nil, state.AllNamespaces, "")
	read("jobs", jobs, e)
	versions, e := s.JobVersions(nil)
	read("job_versions", versions, e)
	sums, e := s.JobSummaries(nil)
	read("summaries", sums, e)
	nodes, e := s.Nodes(nil)
	read("nodes", nodes, e)
	allocs, e := s.Allocs(nil, state.AllNamespaces, "")
	read("allocs", allocs, e)
	evals, e := s.Evals(nil, state.AllNamespaces, "")
	read("evals", evals, e)
	launches, e := s.PeriodicLaunches(nil)
	read("periodic_launches", launches, e)
	_, schedConfig, e := s.SchedulerConfig(nil)
	read("scheduler_config", schedConfig, e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFSM_SnapshotRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	src := testFSM(t, nil)
	fillState(t, src)
	// Stored objects are never changed in place, so this dump stays the
	// view as of the snapshot.
	srcDump := dumpState(t, src.State())
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// A write after the snapshot must not show in it.
	mustApply(t, src, 20, structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: mock.Node()})
	var sink memSink
	if err := snap.Persist(&sink); err != nil || sink.cancelled {
		t.Fatalf("persist: %v (cancelled %v)", err, sink.cancelled)
	}

	dst := testFSM(t, nil)
	old := dst.State()
	if err := dst.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-old.AbandonCh():
	default:
		t.Fatal("restore did not abandon the old store")
	}

	got := dumpState(t, dst.State())
	if diff := cmp.Diff(srcDump, got); diff != "" {
		t.Fatalf("restored state differs (-want +got):\n%s", diff)
	}
	if cfg := got["scheduler_config"].(*structs.SchedulerConfiguration); cfg == nil || cfg.ModifyIndex != 14 {
		t.Fatalf("scheduler configuration %+v not restored at its index", cfg)
	}
	if len(got["allocs"].([]*structs.Allocation)) != 3 || len(got["jobs"].([]*structs.Job)) != 3 ||
		len(got["periodic_launches"].([]*structs.PeriodicLaunch)) != 1 || len(got["job_versions"].([]*structs.Job)) < 3 {
		t.Fatal("round trip compared empty tables")
	}
}

func TestFSM_RestoreRejectsGarbage(t *testing.T) {
	t.Parallel()
	f := testFSM(t, nil)
	fillState(t, f)
	before := dumpState(t, f.State())
	err := f.Restore(io.NopCloser(bytes.NewReader([]byte{0x81, 0xa1, 'x', 0x01})))
	if err == nil {
		t.Fatal("restore of garbage succeeded")
	}
	if diff := cmp.Diff(before, dumpState(t, f.State())); diff != "" {
		t.Fatalf("failed restore changed the state:\n%s", diff)
	}
	if errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("unexpected error kind: %v", err)
	}
}

func BenchmarkFSMJobRegister(b *testing.B) {
	f := testFSM(b, nil)
	bufs := make([][]byte, b.N)
	for i := range bufs {
		job := mock.Job()
		buf, err := encodeMsg(structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job, Eval: mock.EvalFor(job)})
		if err != nil {
			b.Fatal(err)
		}
		bufs[i] = buf
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if resp := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: bufs[i]}); resp != nil {
			b.Fatal(resp)
		}
	}
}
