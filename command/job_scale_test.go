package command

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestJobScale(t *testing.T) {
	cases := []struct {
		name      string
		args      []string
		code      int
		wantGroup string
		wantCount int64
		wants     []string
		wantErr   string
	}{
		{name: "group named", args: []string{"-detach", "web", "app", "3"}, wantGroup: "app", wantCount: 3, wants: []string{evalID}},
		{name: "only group looked up", args: []string{"-detach", "web", "2"}, wantGroup: "app", wantCount: 2, wants: []string{evalID}},
		{name: "monitors the eval", args: []string{"web", "app", "1"}, wantGroup: "app", wantCount: 1,
			wants: []string{`Evaluation "eval1234" finished with status "complete"`}},
		{name: "negative count", args: []string{"web", "app", "-1"}, code: 1, wantErr: `Count "-1" is not a whole number`},
		{name: "server refuses", args: []string{"web", "app", "9"}, code: 1, wantErr: "above the scaling maximum 4"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got atomic.Pointer[api.ScalingRequest]
			addr := fakeAPI(t, map[string]interface{}{
				"GET /v1/jobs":    prefixList(t, []*api.JobListStub{{ID: "web"}}),
				"GET /v1/job/web": &api.Job{ID: ptr("web"), TaskGroups: []*api.TaskGroup{{Name: ptr("app")}}},
				"PUT /v1/job/web/scale": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var req api.ScalingRequest
					if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
						t.Errorf("decode: %v", err)
					}
					got.Store(&req)
					if *req.Count > 4 {
						http.Error(w, "job scale: bad request: Count: 9 is above the scaling maximum 4 of group \"app\"", http.StatusBadRequest)
						return
					}
					writeJSONBody(t, w, &api.JobRegisterResponse{EvalID: evalID})
				}),
				"GET /v1/evaluation/{id}":             &api.Evaluation{ID: evalID, JobID: "web", Status: "complete"},
				"GET /v1/evaluation/{id}/allocations": []*api.AllocationListStub{},
			})
			ui := newUi()
			cmd := &JobScaleCommand{Meta: Meta{Ui: ui}}
			code := cmd.Run(append([]string{"-address", addr}, tc.args...))
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, ui.ErrorWriter)
			}
			if tc.wantErr != "" {
				if !strings.Contains(ui.ErrorWriter.String(), tc.wantErr) {
					t.Fatalf("stderr %q, want %q", ui.ErrorWriter, tc.wantErr)
				}
				return
			}
			req := got.Load()
			if req == nil || req.Target["Group"] != tc.wantGroup || *req.Count != tc.wantCount {
				t.Fatalf("request %+v, want group %q count %d", req, tc.wantGroup, tc.wantCount)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
		})
	}
}

func TestScalingEventsTable(t *testing.T) {
	three := int64(3)
	st := &api.JobScaleStatusResponse{TaskGroups: map[string]api.TaskGroupScaleStatus{
		"web": {Events: []*api.ScalingEvent{
			{Time: 2e18, Count: &three, PreviousCount: 1, Message: `check "cpu": metric 100, target 50`},
			{Time: 1e18, Error: true, Message: "no decision: no samples"},
		}},
	}}
	out := scalingEventsTable(st, 10)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "3") || !strings.Contains(lines[1], `check "cpu"`) ||
		!strings.Contains(lines[2], "true") || !strings.Contains(lines[2], "no samples") {
		t.Fatalf("table, newest first:\n%s", out)
	}
	if scalingEventsTable(&api.JobScaleStatusResponse{}, 10) != "" {
		t.Fatal("a job without events printed a table")
	}
}
