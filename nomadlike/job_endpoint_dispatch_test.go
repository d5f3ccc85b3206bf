package nomadlike_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func parameterizedJob(id, payload string) *structs.Job {
	job := mock.BatchJob()
	job.ID, job.Name = id, id
	job.ParameterizedJob = &structs.ParameterizedJobConfig{Payload: payload,
		MetaRequired: []string{"customer"}, MetaOptional: []string{"format"}}
	return job
}

func TestJobDispatch_Errors(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	rpc := newTCPRPC(t, s) // errors cross the wire as text, as for the HTTP agent
	registerJob(t, rpc, parameterizedJob("needs-payload", structs.DispatchPayloadRequired))
	registerJob(t, rpc, parameterizedJob("no-payload", structs.DispatchPayloadForbidden))
	registerJob(t, rpc, parameterizedJob("stopped", structs.DispatchPayloadOptional))
	if err := rpc.RPC(structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: "stopped"}, &structs.JobDeregisterResponse{}); err != nil {
		t.Fatal(err)
	}
	plain := mock.BatchJob()
	plain.ID = "plain"
	registerJob(t, rpc, plain)
	jobsBefore, err := s.State().Jobs(nil, state.AllNamespaces, "")
	if err != nil {
		t.Fatal(err)
	}

	ok := map[string]string{"customer": "acme"}
	cases := []struct {
		name    string
		job     string
		meta    map[string]string
		payload []byte
		want    string
	}{
		{"missing required meta", "needs-payload", map[string]string{"format": "csv"}, []byte("x"),
			`bad request: missing required meta keys "customer"`},
		{"unknown meta", "needs-payload", map[string]string{"customer": "acme", "colour": "red", "size": "l"}, []byte("x"),
			`unknown meta keys "colour", "size": the job allows only customer, format (meta_required and meta_optional)`},
		{"payload required", "needs-payload", ok, nil,
			`payload is required by the job's parameterized block (payload = "required") but none was given`},
		{"payload forbidden", "no-payload", ok, []byte("x"),
			`payload is forbidden by the job's parameterized block (payload = "forbidden")`},
		{"payload too large", "needs-payload", ok, bytes.Repeat([]byte("x"), 16*1024+1),
			"payload is 16385 bytes, over the limit of 16384"},
		{"every problem at once", "no-payload", map[string]string{"colour": "red"}, []byte("x"),
			`payload is forbidden by the job's parameterized block (payload = "forbidden"); missing required meta keys "customer"; unknown meta keys "colour"`},
		{"not parameterized", "plain", ok, nil, `bad request: job "plain" is not a parameterized job`},
		{"stopped", "stopped", ok, nil, `bad request: job "stopped" is stopped`},
		{"missing job", "nope", ok, nil, `job "nope" in namespace "default": not found`},
		{"no job ID", "", ok, nil, "bad request: missing JobID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out structs.JobDispatchResponse
			err := rpc.RPC(structs.JobDispatchRPC, &structs.JobDispatchRequest{JobID: tc.job, Meta: tc.meta, Payload: tc.payload}, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	jobsAfter, err := s.State().Jobs(nil, state.AllNamespaces, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(jobsAfter) != len(jobsBefore) {
		t.Fatalf("rejected dispatches registered jobs: %d before, %d after", len(jobsBefore), len(jobsAfter))
	}
}

func TestJobDispatch_CreatesChild(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	parent := parameterizedJob("report", structs.DispatchPayloadOptional)
	parent.Meta = map[string]string{"owner": "tests", "format": "pdf"}
	reg := registerJob(t, s, parent)
	if reg.EvalID != "" {
		t.Fatalf("registering a parameterized job created eval %s", reg.EvalID)
	}
	var out structs.JobDispatchResponse
	req := &structs.JobDispatchRequest{JobID: "report", Meta: map[string]string{"customer": "acme", "format": "csv"}, Payload: []byte("rows\n")}
	if err := s.RPC(structs.JobDispatchRPC, req, &out); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^report/dispatch-\d+-[0-9a-f]{8}$`).MatchString(out.DispatchedJobID) {
		t.Fatalf("child ID %q", out.DispatchedJobID)
	}
	if out.EvalID == "" || out.EvalCreateIndex == 0 || out.JobCreateIndex != out.Index {
		t.Fatalf("response %+v", out)
	}
	child, err := s.State().JobByID(nil, structs.DefaultNamespace, out.DispatchedJobID)
	if err != nil || child == nil {
		t.Fatalf("child: %v %v", child, err)
	}
	if child.ParentID != "report" || !child.Dispatched || child.IsParameterized() || string(child.Payload) != "rows\n" ||
		child.Meta["customer"] != "acme" || child.Meta["format"] != "csv" || child.Meta["owner"] != "tests" {
		t.Fatalf("child %+v", child)
	}
	eval, err := s.State().EvalByID(nil, out.EvalID)
	if err != nil || eval == nil || eval.JobID != child.ID || eval.TriggeredBy != structs.EvalTriggerJobRegister {
		t.Fatalf("eval %+v %v", eval, err)
	}
	if p, _ := s.State().JobByID(nil, structs.DefaultNamespace, "report"); p.Status != structs.JobStatusRunning {
		t.Fatalf("parent status %q, want running", p.Status)
	}
}

func TestPeriodicRegisterAndForce(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, noWorkers)
	rpc := newTCPRPC(t, s)
	job := mock.BatchJob()
	job.Periodic = &structs.PeriodicConfig{Enabled: true, Specs: []string{"0 0 1 1 *"}, SpecType: structs.PeriodicSpecCron, TimeZone: "UTC"}
	if reg := registerJob(t, rpc, job); reg.EvalID != "" {
		t.Fatalf("registering a periodic job created eval %s", reg.EvalID)
	}
	if evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID); len(evals) != 0 {
		t.Fatalf("periodic parent has evals %v", evals)
	}
	var out structs.PeriodicForceResponse
	if err := rpc.RPC(structs.PeriodicForceRPC, &structs.PeriodicForceRequest{JobID: job.ID}, &out); err != nil {
		t.Fatal(err)
	}
	eval, err := s.State().EvalByID(nil, out.EvalID)
	if err != nil || eval == nil || eval.TriggeredBy != structs.EvalTriggerPeriodicJob || out.EvalCreateIndex == 0 {
		t.Fatalf("eval %+v (%v), response %+v", eval, err, out)
	}
	child, _ := s.State().JobByID(nil, job.Namespace, eval.JobID)
	if child == nil || child.ParentID != job.ID || child.Periodic != nil || !strings.HasPrefix(child.ID, job.ID+"/periodic-") {
		t.Fatalf("child %+v", child)
	}
	launch, err := s.State().PeriodicLaunchByID(nil, job.Namespace, job.ID)
	if at, _ := structs.PeriodicLaunchTime(job.ID, child.ID); err != nil || launch == nil || !launch.Launch.Equal(at) {
		t.Fatalf("launch record %+v (%v), want %v", launch, err, at)
	}
	err = rpc.RPC(structs.PeriodicForceRPC, &structs.PeriodicForceRequest{JobID: child.ID}, &out)
	if err == nil || !strings.Contains(err.Error(), "is not periodic") {
		t.Fatalf("forcing a child: %v", err)
	}
}
