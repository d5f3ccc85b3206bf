package api

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

func TestJobs_Plan(t *testing.T) {
	var gotPath, gotMethod string
	var body JobPlanRequest
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotMethod = r.URL.EscapedPath(), r.Method
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("request body %s: %v", raw, err)
		}
		w.Header().Set("X-Nomad-Index", "7")
		_, _ = w.Write([]byte(`{"JobModifyIndex":7,
			"Annotations":{"DesiredTGUpdates":{"web":{"Place":1,"InPlaceUpdate":2}}},
			"Diff":{"Type":"Edited","ID":"web/1","TaskGroups":[{"Type":"Edited","Name":"web",
				"Fields":[{"Type":"Edited","Name":"Count","Old":"2","New":"3","Annotations":["forces create"]}],
				"Updates":{"create":1,"in-place update":2}}]},
			"FailedTGAllocs":{"web":{"NodesEvaluated":2,"ConstraintFiltered":{"${attr.kernel.name} = windows":2}}},
			"NextPeriodicLaunch":"0001-01-01T00:00:00Z","Warnings":""}`))
	}))
	id := "web/1"
	resp, wm, err := c.Jobs().Plan(&Job{ID: &id}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gotMethod != http.MethodPut || gotPath != "/v1/job/web%2F1/plan" || !body.Diff || body.Job == nil || *body.Job.ID != id {
		t.Fatalf("request %s %s with diff %v job %+v", gotMethod, gotPath, body.Diff, body.Job)
	}
	if wm.LastIndex != 7 || resp.JobModifyIndex != 7 {
		t.Fatalf("index %d, job modify index %d, want 7", wm.LastIndex, resp.JobModifyIndex)
	}
	if d := resp.Annotations.DesiredTGUpdates["web"]; d.Place != 1 || d.InPlaceUpdate != 2 {
		t.Errorf("desired updates %+v", d)
	}
	tg := resp.Diff.TaskGroups[0]
	if resp.Diff.Type != DiffTypeEdited || tg.Updates["create"] != 1 || tg.Fields[0].Annotations[0] != "forces create" {
		t.Errorf("diff %+v, group %+v", resp.Diff, tg)
	}
	if m := resp.FailedTGAllocs["web"]; m == nil || m.ConstraintFiltered["${attr.kernel.name} = windows"] != 2 {
		t.Errorf("failed allocs %+v", resp.FailedTGAllocs)
	}
	if _, _, err := c.Jobs().Plan(&Job{}, true, nil); err == nil {
		t.Error("a job without an ID was sent")
	}
}
