package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// jobJSON serializes a register or validate request around job.
func jobJSON(t *testing.T, job *api.Job) string {
	t.Helper()
	b, err := json.Marshal(&api.JobRegisterRequest{Job: job})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSystemJobTypes checks that system and sysbatch jobs pass validation
// and reach the server with their type, so `job validate` and `job run`
// agree on them.
func TestSystemJobTypes(t *testing.T) {
	for _, typ := range []string{api.JobTypeSystem, api.JobTypeSysBatch} {
		t.Run(typ, func(t *testing.T) {
			job := fullAPIJob("web")
			job.Type = &typ
			// Jobs that run on every node have no reschedule policy.
			job.TaskGroups[0].ReschedulePolicy = nil
			if typ == api.JobTypeSysBatch {
				// As in Nomad, only service and system jobs take an
				// update block.
				job.Update, job.TaskGroups[0].Update = nil, nil
			}
			body := jobJSON(t, job)
			var gotType string
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				structs.JobRegisterRPC: func(a, r interface{}) error {
					gotType = a.(*structs.JobRegisterRequest).Job.Type
					return nil
				},
			}}
			s := newTestHTTP(t, rpc, nil)
			rec := do(t, s, "PUT", "/v1/validate/job", body, nil)
			var out api.JobValidateResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
				t.Fatalf("validate: %d %s (%v)", rec.Code, rec.Body, err)
			}
			if len(out.ValidationErrors) != 0 {
				t.Fatalf("validation errors %q, want none", out.ValidationErrors)
			}
			rec = do(t, s, "PUT", "/v1/jobs", body, nil)
			if rec.Code != 200 || gotType != typ {
				t.Fatalf("register: %d %q reached the server as type %q, want 200 and %q", rec.Code, rec.Body, gotType, typ)
			}
		})
	}
}

// TestRegister_EnforceIndexConflict goes through the handler: a lost
// -check-index race is the client's problem (400), in Nomad's words, and
// the request's index reaches the server.
func TestRegister_EnforceIndexConflict(t *testing.T) {
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.JobRegisterRPC: func(a, r interface{}) error {
			args := a.(*structs.JobRegisterRequest)
			if !args.EnforceIndex || args.JobModifyIndex != 3 {
				return fmt.Errorf("enforce %v index %d reached the server", args.EnforceIndex, args.JobModifyIndex)
			}
			return fmt.Errorf("job register: %w: %s 3: job exists with conflicting job modify index: 5",
				structs.ErrIndexChanged, api.RegisterEnforceIndexErrPrefix)
		},
	}}
	b, err := json.Marshal(&api.JobRegisterRequest{Job: fullAPIJob("web"), EnforceIndex: true, JobModifyIndex: 3})
	if err != nil {
		t.Fatal(err)
	}
	rec := do(t, newTestHTTP(t, rpc, nil), "PUT", "/v1/jobs", string(b), nil)
	want := "Enforcing job modify index 3: job exists with conflicting job modify index: 5"
	if rec.Code != 400 || strings.TrimSpace(rec.Body.String()) != want {
		t.Fatalf("got %d %q, want 400 %q", rec.Code, rec.Body, want)
	}
}

// TestRegion checks that a request or a job naming a region this agent
// does not serve is refused instead of filing work under that region.
func TestRegion(t *testing.T) {
	const want = `unknown region "eu": this cluster serves region "global"`
	jobIn := func(region string) string {
		job := fullAPIJob("web")
		job.Region = &region
		if region == "" {
			job.Region = nil
		}
		return jobJSON(t, job)
	}
	cases := []struct {
		name, method, path, body string
		code                     int
		wantBody                 string
	}{
		{"query on a read", "GET", "/v1/jobs?region=eu", "", 400, want},
		{"query on a register", "PUT", "/v1/jobs?region=eu", jobIn(""), 400, want},
		{"job region on a register", "PUT", "/v1/jobs", jobIn("eu"), 400, want},
		{"job region on a validate", "PUT", "/v1/validate/job", jobIn("eu"), 200, `"ValidationErrors":["unknown region \"eu\": this cluster serves region \"global\""]`},
		{"own region in the query", "GET", "/v1/jobs?region=global", "", 200, "[]"},
		{"own region in the job", "PUT", "/v1/jobs?region=global", jobIn("global"), 200, `"EvalID"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				structs.JobListRPC: func(a, r interface{}) error { return nil },
				structs.JobRegisterRPC: func(a, r interface{}) error {
					if region := a.(*structs.JobRegisterRequest).Job.Region; region != "global" {
						return fmt.Errorf("job registered in region %q", region)
					}
					return nil
				},
			}}
			rec := do(t, newTestHTTP(t, rpc, nil), tc.method, tc.path, tc.body, nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("got %d %s, want %d containing %q", rec.Code, rec.Body, tc.code, tc.wantBody)
			}
			if tc.code == 400 && rpc.callCount() != 0 {
				t.Fatalf("a refused request made %d rpc calls", rpc.callCount())
			}
		})
	}
}

// TestValidate_JobWithoutRegionIsTheAgents checks that validation, like
// registration, gives a job without a region the agent's, rather than
// Canonicalize's "global".
func TestValidate_JobWithoutRegionIsTheAgents(t *testing.T) {
	job := fullAPIJob("web")
	job.Region = nil
	s := newTestHTTP(t, &fakeRPC{}, func(c *HTTPServerConfig) { c.Region = "eu" })
	rec := do(t, s, "PUT", "/v1/validate/job", jobJSON(t, job), nil)
	var out api.JobValidateResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.ValidationErrors) != 0 {
		t.Fatalf("validate: %d %s (%v)", rec.Code, rec.Body, err)
	}
}
