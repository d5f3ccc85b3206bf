package agent

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestJobVersionsEndpoints(t *testing.T) {
	var gotRevert *structs.JobRevertRequest
	var gotStable *structs.JobStabilityRequest
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.JobGetJobVersionsRPC: func(a, r interface{}) error {
			if a.(*structs.JobVersionsRequest).JobID == "web" {
				r.(*structs.JobVersionsResponse).Versions = []*structs.Job{{ID: "web", Version: 1}, {ID: "web", Version: 0, Stable: true}}
				r.(*structs.JobVersionsResponse).Index = 9
			}
			return nil
		},
		structs.JobRevertRPC: func(a, r interface{}) error {
			gotRevert = a.(*structs.JobRevertRequest)
			if gotRevert.JobVersion == 5 {
				return fmt.Errorf("job revert: %w: job \"web\" has no version 5", structs.ErrNotFound)
			}
			r.(*structs.JobRegisterResponse).EvalID = "e1"
			r.(*structs.JobRegisterResponse).Index = 11
			return nil
		},
		structs.JobStableRPC: func(a, r interface{}) error {
			gotStable = a.(*structs.JobStabilityRequest)
			r.(*structs.JobStabilityResponse).Index = 12
			return nil
		},
	}}
	s := newTestHTTP(t, rpc, nil)

	cases := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"versions", "GET", "/v1/job/web/versions", "", 200, `"Versions":[{`},
		{"versions of an unknown job", "GET", "/v1/job/nope/versions", "", 404, "job not found"},
		{"revert", "PUT", "/v1/job/web/revert", `{"JobID":"web","JobVersion":0,"EnforcePriorVersion":1}`, 200, `"EvalID":"e1"`},
		{"revert to a missing version", "PUT", "/v1/job/web/revert", `{"JobVersion":5}`, 404, "no version 5"},
		{"revert body names another job", "PUT", "/v1/job/web/revert", `{"JobID":"db","JobVersion":0}`, 400, `JobID "db"`},
		{"revert with a malformed body", "PUT", "/v1/job/web/revert", `{"JobVersion":"x"}`, 400, ""},
		{"stable", "PUT", "/v1/job/web/stable", `{"JobVersion":0,"Stable":true}`, 200, `"Index":12`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, s, tc.method, tc.path, tc.body, nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%s %s: %d %s; want %d containing %q", tc.method, tc.path, rec.Code, rec.Body, tc.code, tc.want)
			}
		})
	}
	if gotRevert == nil || gotRevert.JobID != "web" {
		t.Fatalf("revert reached the server as %+v", gotRevert)
	}
	if gotStable == nil || !gotStable.Stable || gotStable.JobID != "web" {
		t.Fatalf("stable reached the server as %+v", gotStable)
	}
	// The answer decodes into the api types Nomad's clients use.
	rec := do(t, s, "GET", "/v1/job/web/versions", "", nil)
	var out api.JobVersionsResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Versions) != 2 || !*out.Versions[1].Stable {
		t.Fatalf("decode versions: %v %+v", err, out)
	}
}
