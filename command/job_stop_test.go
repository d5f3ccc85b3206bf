package command

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestJobStop(t *testing.T) {
	cases := []struct {
		name        string
		args        []string
		wantPurge   string
		wantNoDelay string
		wants       []string
	}{
		{"stop and wait", nil, "", "", []string{`Evaluation "eval1234" finished with status "complete"`, `All allocations of job "web" stopped`}},
		{"purge", []string{"-purge"}, "true", "", []string{`All allocations of job "web" stopped`}},
		{"no shutdown delay", []string{"-no-shutdown-delay"}, "", "true", []string{`All allocations of job "web" stopped`}},
		{"purge without shutdown delay", []string{"-purge", "-no-shutdown-delay"}, "true", "true", []string{`All allocations of job "web" stopped`}},
		{"detach", []string{"-detach"}, "", "", []string{evalID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var purge, noDelay atomic.Value
			var allocReads atomic.Int32
			addr := fakeAPI(t, map[string]interface{}{
				"GET /v1/jobs": prefixList(t, []*api.JobListStub{{ID: "web"}}),
				"DELETE /v1/job/web": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					purge.Store(r.URL.Query().Get("purge"))
					noDelay.Store(r.URL.Query().Get("no_shutdown_delay"))
					writeJSONBody(t, w, &api.JobDeregisterResponse{EvalID: evalID})
				}),
				"GET /v1/evaluation/{id}":             &api.Evaluation{ID: evalID, JobID: "web", Status: "complete"},
				"GET /v1/evaluation/{id}/allocations": []*api.AllocationListStub{},
				// The first read still sees a running allocation; the
				// blocking read after it sees it stopped.
				"GET /v1/job/web/allocations": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					status := "complete"
					if allocReads.Add(1) == 1 {
						status = "running"
					} else if r.URL.Query().Get("index") != "9" {
						t.Errorf("second read is not blocking on index 9: %s", r.URL)
					}
					w.Header().Set("X-Nomad-Index", "9")
					writeJSONBody(t, w, []*api.AllocationListStub{{ID: "a1", DesiredStatus: "stop", ClientStatus: status}})
				}),
			})
			ui := newUi()
			cmd := &JobStopCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append(append([]string{"-address", addr}, tc.args...), "web")); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
			}
			if got, _ := purge.Load().(string); got != tc.wantPurge {
				t.Fatalf("purge param %q, want %q", got, tc.wantPurge)
			}
			if got, _ := noDelay.Load().(string); got != tc.wantNoDelay {
				t.Fatalf("no_shutdown_delay param %q, want %q", got, tc.wantNoDelay)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
		})
	}
}

// Every flag job stop accepts is documented in its help.
func TestJobStop_HelpListsFlags(t *testing.T) {
	help := (&JobStopCommand{}).Help()
	for _, flag := range []string{"-purge", "-no-shutdown-delay", "-detach", "-verbose"} {
		if !strings.Contains(help, "\n  "+flag+"\n") {
			t.Errorf("help does not document %s", flag)
		}
	}
}
