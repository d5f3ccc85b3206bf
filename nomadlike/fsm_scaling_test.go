package nomadlike

import (
	"bytes"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestFSM_JobScaleAndSnapshot applies a scale (job, eval, event in one
// entry) and an error event, and checks the events survive a snapshot.
func TestFSM_JobScaleAndSnapshot(t *testing.T) {
	t.Parallel()
	var created []*structs.Evaluation
	f := testFSM(t, func(evals []*structs.Evaluation) { created = append(created, evals...) })
	job := mock.Job()
	mustApply(t, f, 10, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job})
	scaled := job.Copy()
	scaled.TaskGroups[0].Count = 5
	eval := mock.EvalFor(job)
	count := int64(5)
	mustApply(t, f, 11, structs.JobScaleRequestType, &structs.JobScaleApply{Namespace: job.Namespace, JobID: job.ID,
		Group: job.TaskGroups[0].Name, Job: scaled, Eval: eval,
		Event: &structs.ScalingEvent{Time: 1, Count: &count, PreviousCount: 1, Message: "up", EvalID: &eval.ID}})
	mustApply(t, f, 12, structs.ScalingEventRequestType, &structs.JobScaleApply{Namespace: job.Namespace, JobID: job.ID,
		Group: job.TaskGroups[0].Name, Event: &structs.ScalingEvent{Time: 2, Error: true, Message: "no samples"}})

	stored, err := f.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil || stored.TaskGroups[0].Count != 5 {
		t.Fatalf("job after scale: %+v, %v", stored, err)
	}
	if len(created) != 1 || created[0].ID != eval.ID || created[0].JobModifyIndex != 11 {
		t.Fatalf("evals handed to the broker %+v, want the scale's eval at index 11", created)
	}
	events, err := f.State().ScalingEventsByJob(nil, job.Namespace, job.ID)
	if err != nil || events == nil || len(events.ScalingEvents[job.TaskGroups[0].Name]) != 2 {
		t.Fatalf("events %+v, %v; want 2", events, err)
	}

	snap, err := f.Snapshot()
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
	got, err := dst.State().ScalingEventsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(events, got); diff != "" {
		t.Fatalf("restored events differ (-want +got):\n%s", diff)
	}
}
