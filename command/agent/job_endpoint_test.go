package agent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
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
