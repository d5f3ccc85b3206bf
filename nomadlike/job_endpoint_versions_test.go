package nomadlike_test

import (
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func jobVersions(t *testing.T, rpc structs.RPCer, jobID string) []*structs.Job {
	t.Helper()
	var resp structs.JobVersionsResponse
	if err := rpc.RPC(structs.JobGetJobVersionsRPC, &structs.JobVersionsRequest{JobID: jobID}, &resp); err != nil {
		t.Fatalf("job versions: %v", err)
	}
	return resp.Versions
}

// TestJobRevert registers v0 (count 1) and v1 (count 2), reverts to v0 and
// checks that the result is a new version with v0's spec, and that bad
// reverts change nothing.
func TestJobRevert(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := mock.Job()
	job.TaskGroups[0].Count = 1
	registerJob(t, s, job)
	v1 := job.Copy()
	v1.TaskGroups[0].Count = 2
	registerJob(t, s, v1)

	bad := []struct {
		name string
		req  structs.JobRevertRequest
		want string
	}{
		{"missing job ID", structs.JobRevertRequest{}, "missing JobID"},
		{"unknown job", structs.JobRevertRequest{JobID: "nope"}, "not found"},
		{"current version", structs.JobRevertRequest{JobID: job.ID, JobVersion: 1}, "can't revert to current version 1"},
		{"version never kept", structs.JobRevertRequest{JobID: job.ID, JobVersion: 9}, "has no version 9 (kept versions: 1, 0)"},
		{"enforced prior version differs", structs.JobRevertRequest{JobID: job.ID, JobVersion: 0, EnforcePriorVersion: ptrTo(uint64(0))},
			"current job has version 1; enforcing version 0"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			var resp structs.JobRegisterResponse
			err := s.RPC(structs.JobRevertRPC, &tc.req, &resp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if n := len(jobVersions(t, s, job.ID)); n != 2 {
				t.Fatalf("a refused revert left %d versions, want 2", n)
			}
		})
	}

	var resp structs.JobRegisterResponse
	req := structs.JobRevertRequest{JobID: job.ID, JobVersion: 0, EnforcePriorVersion: ptrTo(uint64(1))}
	if err := s.RPC(structs.JobRevertRPC, &req, &resp); err != nil {
		t.Fatalf("revert: %v", err)
	}
	if resp.EvalID == "" {
		t.Fatal("revert created no evaluation")
	}
	versions := jobVersions(t, s, job.ID)
	if len(versions) != 3 || versions[0].Version != 2 {
		t.Fatalf("after revert %d versions, newest %d; want 3 with newest 2", len(versions), versions[0].Version)
	}
	if got := versions[0].TaskGroups[0].Count; got != 1 {
		t.Fatalf("reverted version has count %d, want v0's 1", got)
	}
}

func TestJobStable(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	job := mock.Job()
	registerJob(t, s, job)
	var resp structs.JobStabilityResponse
	err := s.RPC(structs.JobStableRPC, &structs.JobStabilityRequest{JobID: job.ID, JobVersion: 3, Stable: true}, &resp)
	if err == nil || !strings.Contains(err.Error(), "version 3") {
		t.Fatalf("stable of a missing version: %v, want an error naming version 3", err)
	}
	if err := s.RPC(structs.JobStableRPC, &structs.JobStabilityRequest{JobID: job.ID, JobVersion: 0, Stable: true}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Index == 0 {
		t.Fatal("no index in the answer")
	}
	var got structs.SingleJobResponse
	if err := s.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: job.ID}, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Job.Stable || !jobVersions(t, s, job.ID)[0].Stable {
		t.Fatal("version 0 was not marked stable on the job and its version")
	}
}

func ptrTo[T any](v T) *T { return &v }
