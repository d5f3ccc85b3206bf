package agent

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func scaledAPIJob() *api.Job {
	i64 := func(v int64) *int64 { return &v }
	return &api.Job{ID: strPtr("web"), Datacenters: []string{"dc1"}, TaskGroups: []*api.TaskGroup{{
		Name: strPtr("web"), Count: intPtr(2),
		Scaling: &api.ScalingPolicy{Min: i64(1), Max: i64(4), Policy: map[string]interface{}{
			"cooldown": "5s",
			"check": map[string]interface{}{"cpu": map[string]interface{}{"query": "avg_cpu-allocated",
				"strategy": map[string]interface{}{"target-value": map[string]interface{}{"target": 50}}}},
		}},
		Tasks: []*api.Task{{Name: "app", Driver: "raw_exec", Config: map[string]interface{}{"command": "/bin/sleep"}}},
	}}}
}

// TestJobScaleAPIClient drives /v1/job/:id/scale and /v1/scaling through
// the Go client against an in-process server.
func TestJobScaleAPIClient(t *testing.T) {
	t.Parallel()
	_, h, client := operatorAgent(t)
	if _, _, err := client.Jobs().Register(scaledAPIJob(), nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	three := 3
	resp, _, err := client.Jobs().Scale("web", "web", &three, "by hand", false, map[string]interface{}{"n": 1}, nil)
	if err != nil || resp.EvalID == "" {
		t.Fatalf("scale: %+v %v", resp, err)
	}
	five := 5
	if _, _, err := client.Jobs().Scale("web", "web", &five, "", false, nil, nil); err == nil || !strings.Contains(err.Error(), "above the scaling maximum 4") {
		t.Fatalf("scale above max: %v", err)
	}
	st, _, err := client.Jobs().ScaleStatus("web", nil)
	if err != nil {
		t.Fatalf("scale status: %v", err)
	}
	g := st.TaskGroups["web"]
	if g.Desired != 3 || len(g.Events) != 1 || *g.Events[0].Count != 3 || g.Events[0].PreviousCount != 2 ||
		g.Events[0].Message != "by hand" || g.Events[0].Meta["n"] != "1" || *g.Events[0].EvalID != resp.EvalID {
		t.Fatalf("group status %+v (event %+v)", g, g.Events)
	}
	list, _, err := client.Scaling().ListPolicies(nil)
	if err != nil || len(list) != 1 || list[0].Target["Group"] != "web" || list[0].Type != "horizontal" || !list[0].Enabled {
		t.Fatalf("policies %+v %v", list, err)
	}
	p, _, err := client.Scaling().GetPolicy(list[0].ID, nil)
	if err != nil || *p.Max != 4 || p.Policy["cooldown"] != "5s" || p.Policy["evaluation_interval"] != "10s" {
		t.Fatalf("policy %+v %v, want Nomad's shape with orch's defaults filled", p, err)
	}
	job, _, err := client.Jobs().Info("web", nil)
	if err != nil || job.TaskGroups[0].Scaling == nil || job.TaskGroups[0].Scaling.Policy["check"] == nil {
		t.Fatalf("job read back without its policy map: %+v %v", job.TaskGroups[0].Scaling, err)
	}

	for _, tc := range []struct{ name, method, path, body, want string }{
		{"missing group", "PUT", "/v1/job/web/scale", `{"Count":2}`, "Target.Group is required"},
		{"other job", "PUT", "/v1/job/web/scale", `{"Count":2,"Target":{"Job":"db","Group":"web"}}`, `Target.Job "db"`},
		{"negative", "PUT", "/v1/job/web/scale", `{"Count":-1,"Target":{"Group":"web"}}`, "is negative"},
		{"unknown group", "PUT", "/v1/job/web/scale", `{"Count":2,"Target":{"Group":"db"}}`, `no task group "db"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, tc.method, tc.path, tc.body, nil)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("%d %s, want 400 containing %q", rec.Code, rec.Body, tc.want)
			}
		})
	}
	if rec := do(t, h, "GET", "/v1/scaling/policy/nope", "", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown policy: %d", rec.Code)
	}
	bad := scaledAPIJob()
	bad.TaskGroups[0].Scaling.Policy["check"] = map[string]interface{}{"cpu": map[string]interface{}{"source": "graphite",
		"query": "x", "strategy": map[string]interface{}{"target-value": map[string]interface{}{"target": 0}}}}
	_, _, err = client.Jobs().Register(bad, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown source "graphite"`) || !strings.Contains(err.Error(), "target (0) must be above 0") {
		t.Fatalf("bad policy registered: %v", err)
	}
}
