package agent

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// planReply is a server answer with every part of a JobPlanResponse set.
func planReply(out *structs.JobPlanResponse) {
	out.JobModifyIndex, out.Index = 12, 12
	out.Annotations = &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{
		"g": {Place: 1, InPlaceUpdate: 2}}}
	out.FailedTGAllocs = map[string]*structs.AllocMetric{"g": {
		NodesEvaluated: 2, NodesFiltered: 2, NodesAvailable: map[string]int{"dc1": 2},
		ConstraintFiltered: map[string]int{"${attr.kernel.name} = windows": 2},
		AllocationTime:     time.Millisecond, CoalescedFailures: 1,
	}}
	out.CreatedEvals = []*structs.Evaluation{{ID: "blocked-1", Status: structs.EvalStatusBlocked,
		TriggeredBy: structs.EvalTriggerQueuedAllocs, Wait: time.Second}}
	out.Diff = &structs.JobDiff{Type: structs.DiffTypeEdited, ID: "web", TaskGroups: []*structs.TaskGroupDiff{{
		Type: structs.DiffTypeEdited, Name: "g",
		Fields: []*structs.FieldDiff{{Type: structs.DiffTypeEdited, Name: "Count", Old: "2", New: "3",
			Annotations: []string{structs.AnnotationForcesCreate}}},
		Tasks:   []*structs.TaskDiff{{Type: structs.DiffTypeNone, Name: "server"}},
		Updates: map[string]uint64{structs.UpdateTypeCreate: 1, structs.UpdateTypeInplaceUpdate: 2},
	}}}
}

// TestJobPlan_NomadClient plans through the handler with HashiCorp's Nomad
// Go client: the request reaches the server with the diff flag and the
// job's namespace, and Nomad's types decode every part of the answer.
func TestJobPlan_NomadClient(t *testing.T) {
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.JobPlanRPC: func(a, r interface{}) error {
			planReply(r.(*structs.JobPlanResponse))
			return nil
		},
	}}
	srv := httptest.NewServer(newTestHTTP(t, rpc, nil).Handler())
	t.Cleanup(srv.Close)
	c, err := nomad.NewClient(&nomad.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	resp, wm, err := c.Jobs().Plan(nomadJob(), true, nil)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	args := rpc.lastArgs(t).(*structs.JobPlanRequest)
	if !args.Diff || args.Job.ID != "web" || args.Namespace != "default" || args.Job.TaskGroups[0].Count != 2 {
		t.Fatalf("plan args diff=%v job=%q ns=%q", args.Diff, args.Job.ID, args.Namespace)
	}
	if wm.LastIndex != 12 || resp.JobModifyIndex != 12 {
		t.Errorf("index %d, job modify index %d, want 12", wm.LastIndex, resp.JobModifyIndex)
	}
	if d := resp.Annotations.DesiredTGUpdates["g"]; d == nil || d.Place != 1 || d.InPlaceUpdate != 2 {
		t.Errorf("desired updates %+v", d)
	}
	m := resp.FailedTGAllocs["g"]
	if m == nil || m.ConstraintFiltered["${attr.kernel.name} = windows"] != 2 || m.AllocationTime != time.Millisecond {
		t.Errorf("failed allocs %+v", m)
	}
	if len(resp.CreatedEvals) != 1 || resp.CreatedEvals[0].Status != "blocked" || resp.CreatedEvals[0].Wait != time.Second {
		t.Errorf("created evals %+v", resp.CreatedEvals)
	}
	tg := resp.Diff.TaskGroups[0]
	if resp.Diff.Type != "Edited" || tg.Updates["create"] != 1 || tg.Fields[0].Annotations[0] != "forces create" ||
		tg.Tasks[0].Type != "None" {
		t.Errorf("diff %+v, group %+v", resp.Diff, tg)
	}
	if !resp.NextPeriodicLaunch.IsZero() {
		t.Errorf("next periodic launch %v for a job that is not periodic", resp.NextPeriodicLaunch)
	}
}

func TestJobPlan_RejectsBadRequests(t *testing.T) {
	cases := []struct {
		name, method, path, body, want string
		code                           int
	}{
		{"id mismatch", "PUT", "/v1/job/api/plan", validJobJSON(t, "web"), `the path has "api" but the body has "web"`, 400},
		{"missing job", "POST", "/v1/job/web/plan", `{"Diff": true}`, "job is required", 400},
		{"invalid job", "PUT", "/v1/job/web/plan",
			`{"Job": {"ID": "web", "Name": "web", "Type": "service", "Priority": 50, "Datacenters": ["dc1"]}}`,
			"TaskGroups: missing task groups", 400},
		{"read-only method", "GET", "/v1/job/web/plan", "", "", 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rpc := &fakeRPC{}
			rec := do(t, newTestHTTP(t, rpc, nil), tc.method, tc.path, tc.body, nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %q, want %d mentioning %q", rec.Code, rec.Body, tc.code, tc.want)
			}
			if rpc.callCount() != 0 {
				t.Fatalf("a rejected request made %d rpc calls", rpc.callCount())
			}
		})
	}
}
