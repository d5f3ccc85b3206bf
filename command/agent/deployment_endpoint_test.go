package agent

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestDeploymentHTTP_Reads(t *testing.T) {
	d := &structs.Deployment{ID: "d1", JobID: "web", Status: "running",
		TaskGroups: map[string]*structs.DeploymentState{"web": {DesiredTotal: 3, PlacedCanaries: []string{"a"}}}}
	var gotList structs.DeploymentListRequest
	var gotJob structs.JobSpecificRequest
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.DeploymentListRPC: func(a, r interface{}) error {
			gotList = *a.(*structs.DeploymentListRequest)
			r.(*structs.DeploymentListResponse).Index = 9
			return nil
		},
		structs.DeploymentGetDeploymentRPC: func(a, r interface{}) error {
			if a.(*structs.DeploymentSpecificRequest).DeploymentID == "d1" {
				r.(*structs.SingleDeploymentResponse).Deployment = d
			}
			return nil
		},
		structs.DeploymentAllocationsRPC: func(a, r interface{}) error {
			r.(*structs.AllocListResponse).Allocations = []*structs.AllocListStub{{ID: "a", DeploymentStatus: &structs.AllocDeploymentStatus{Canary: true}}}
			return nil
		},
		structs.JobDeploymentsRPC: func(a, r interface{}) error {
			gotJob = *a.(*structs.JobSpecificRequest)
			r.(*structs.DeploymentListResponse).Deployments = []*structs.Deployment{d}
			return nil
		},
		structs.JobLatestDeploymentRPC: func(a, r interface{}) error { return nil },
	}}
	s := newTestHTTP(t, rpc, nil)
	cases := []struct {
		name, target string
		code         int
		want         string
	}{
		{"empty list is []", "/v1/deployments?prefix=d&index=3", 200, `[]`},
		{"one deployment in Nomad's shape", "/v1/deployment/d1", 200, `"TaskGroups":{"web":{"AutoRevert":false,"AutoPromote":false,"ProgressDeadline":0,"RequireProgressBy":"0001-01-01T00:00:00Z","Promoted":false,"PlacedCanaries":["a"],"DesiredCanaries":0,"DesiredTotal":3`},
		{"unknown deployment", "/v1/deployment/nope", 404, "deployment not found"},
		{"allocations", "/v1/deployment/allocations/d1", 200, `"DeploymentStatus":{"Healthy":null,"Timestamp":"0001-01-01T00:00:00Z","Canary":true`},
		{"a job's deployments", "/v1/job/web/deployments?all=true", 200, `[{"ID":"d1"`},
		{"bad all", "/v1/job/web/deployments?all=maybe", 400, `invalid all value "maybe"`},
		{"no latest deployment is null", "/v1/job/web/deployment", 200, "null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, s, "GET", tc.target, "", nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s, want %d with %s", rec.Code, rec.Body, tc.code, tc.want)
			}
		})
	}
	if gotList.Prefix != "d" || gotList.MinQueryIndex != 3 || !gotJob.All || gotJob.JobID != "web" {
		t.Fatalf("requests reached the server as %+v and %+v", gotList, gotJob)
	}
}

func TestDeploymentHTTP_Writes(t *testing.T) {
	var got []interface{}
	answer := func(a, r interface{}) error {
		got = append(got, a)
		v := uint64(3)
		*r.(*structs.DeploymentUpdateResponse) = structs.DeploymentUpdateResponse{
			EvalID: "e1", EvalCreateIndex: 12, DeploymentModifyIndex: 12, RevertedJobVersion: &v,
			WriteMeta: structs.WriteMeta{Index: 12}}
		return nil
	}
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.DeploymentPromoteRPC:        answer,
		structs.DeploymentFailRPC:           answer,
		structs.DeploymentPauseRPC:          answer,
		structs.DeploymentSetAllocHealthRPC: answer,
	}}
	s := newTestHTTP(t, rpc, nil)
	wr := structs.WriteRequest{Region: "global", Namespace: "default"}
	cases := []struct {
		name, path, body string
		want             interface{}
	}{
		{"promote all", "/v1/deployment/promote/d1", `{"DeploymentID":"d1","All":true}`,
			&structs.DeploymentPromoteRequest{DeploymentID: "d1", All: true, WriteRequest: wr}},
		{"promote groups", "/v1/deployment/promote/d1", `{"Groups":["web"]}`,
			&structs.DeploymentPromoteRequest{DeploymentID: "d1", Groups: []string{"web"}, WriteRequest: wr}},
		{"fail without a body", "/v1/deployment/fail/d1", ``,
			&structs.DeploymentFailRequest{DeploymentID: "d1", WriteRequest: wr}},
		{"pause", "/v1/deployment/pause/d1", `{"Pause":true}`,
			&structs.DeploymentPauseRequest{DeploymentID: "d1", Pause: true, WriteRequest: wr}},
		{"allocation health", "/v1/deployment/allocation-health/d1", `{"HealthyAllocationIDs":["a"],"UnhealthyAllocationIDs":["b"]}`,
			&structs.DeploymentAllocHealthRequest{DeploymentID: "d1", HealthyAllocationIDs: []string{"a"}, UnhealthyAllocationIDs: []string{"b"}, WriteRequest: wr}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			rec := do(t, s, "PUT", tc.path, tc.body, nil)
			if rec.Code != 200 {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], tc.want) {
				t.Fatalf("reached the server as %#v, want %#v", got, tc.want)
			}
			var out map[string]interface{}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			want := map[string]interface{}{"EvalID": "e1", "EvalCreateIndex": 12.0, "DeploymentModifyIndex": 12.0, "RevertedJobVersion": 3.0, "Index": 12.0}
			if !reflect.DeepEqual(out, want) || rec.Header().Get("X-Nomad-Index") != "12" {
				t.Fatalf("answer %v (index header %q), want %v", out, rec.Header().Get("X-Nomad-Index"), want)
			}
		})
	}
}

func TestDeploymentHTTP_BadInput(t *testing.T) {
	fail := func(err error) func(a, r interface{}) error { return func(a, r interface{}) error { return err } }
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.DeploymentPromoteRPC: fail(fmt.Errorf("deployment promote: %w: deployment \"d1\" has no canaries to promote", structs.ErrBadRequest)),
		structs.DeploymentPauseRPC:   fail(fmt.Errorf("deployment pause: %w: can't pause terminal deployment \"d1\": it is failed", structs.ErrBadRequest)),
		structs.DeploymentFailRPC:    fail(fmt.Errorf("deployment fail: deployment \"nope\": %w", structs.ErrNotFound)),
	}}
	s := newTestHTTP(t, rpc, nil)
	cases := []struct {
		name, path, body string
		code             int
		want             string
	}{
		{"no canaries", "/v1/deployment/promote/d1", `{"All":true}`, 400, "has no canaries to promote"},
		{"pausing a failed deployment", "/v1/deployment/pause/d1", `{"Pause":true}`, 400, "can't pause terminal deployment"},
		{"unknown deployment", "/v1/deployment/fail/nope", `{}`, 404, `deployment "nope": not found`},
		{"promote all and groups", "/v1/deployment/promote/d1", `{"All":true,"Groups":["web"]}`, 400, "set either All or Groups"},
		{"promote nothing", "/v1/deployment/promote/d1", `{}`, 400, "Groups is empty and All is false"},
		{"body names another deployment", "/v1/deployment/pause/d1", `{"DeploymentID":"d2"}`, 400, `DeploymentID "d2" in the body does not match the deployment "d1" in the path`},
		{"health of nothing", "/v1/deployment/allocation-health/d1", `{}`, 400, "HealthyAllocationIDs and UnhealthyAllocationIDs are both empty"},
		{"malformed body", "/v1/deployment/pause/d1", `{"Pause":"yes"}`, 400, "Pause"},
		{"pause needs a body", "/v1/deployment/pause/d1", ``, 400, "request body is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, s, "PUT", tc.path, tc.body, nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s, want %d with %q", rec.Code, rec.Body, tc.code, tc.want)
			}
		})
	}
	if rec := do(t, s, "DELETE", "/v1/deployment/promote/d1", "", nil); rec.Code != 405 {
		t.Fatalf("DELETE answered %d, want 405", rec.Code)
	}
}
