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

// TestUnsupportedJobTypes checks that validation refuses what registration
// refuses, with the same words, so `job validate` cannot pass a job that
// `job run` then rejects.
func TestUnsupportedJobTypes(t *testing.T) {
	for _, typ := range []string{api.JobTypeSystem, api.JobTypeSysBatch} {
		t.Run(typ, func(t *testing.T) {
			job := fullAPIJob("web")
			job.Type = &typ
			want := `type "` + typ + `" is not supported by orch yet`
			body := jobJSON(t, job)

			rpc := &fakeRPC{}
			s := newTestHTTP(t, rpc, nil)
			rec := do(t, s, "PUT", "/v1/jobs", body, nil)
			if rec.Code != 400 || !strings.Contains(rec.Body.String(), want) {
				t.Fatalf("register: %d %q, want 400 containing %q", rec.Code, rec.Body, want)
			}
			if rpc.callCount() != 0 {
				t.Fatalf("a rejected register made %d rpc calls", rpc.callCount())
			}

			rec = do(t, s, "PUT", "/v1/validate/job", body, nil)
			var out api.JobValidateResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
				t.Fatalf("validate: %d %s (%v)", rec.Code, rec.Body, err)
			}
			if len(out.ValidationErrors) != 1 || !strings.Contains(out.ValidationErrors[0], want) {
				t.Fatalf("validation errors %q, want one containing %q", out.ValidationErrors, want)
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
