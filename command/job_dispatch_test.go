package command

import (
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestJobDispatch(t *testing.T) {
	dir := t.TempDir()
	payloadFile := filepath.Join(dir, "in.json")
	if err := os.WriteFile(payloadFile, []byte(`{"n":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 16*1024+1), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		args        []string
		stdin       string
		code        int
		wantOut     []string
		wantErr     string
		wantMeta    map[string]string
		wantPayload string
	}{
		{name: "payload file and meta, detached", args: []string{"-detach", "-meta", "customer=acme", "-meta", "format=a=b", "report", payloadFile},
			wantOut:  []string{"Dispatched Job ID = report/dispatch-1700000000-0badcafe", "Evaluation ID = e1234567"},
			wantMeta: map[string]string{"customer": "acme", "format": "a=b"}, wantPayload: `{"n":1}`},
		{name: "payload from stdin", args: []string{"-detach", "report", "-"}, stdin: "from stdin\n",
			wantOut: []string{"Dispatched Job ID = report/dispatch-"}, wantPayload: "from stdin\n"},
		{name: "bad meta flag", args: []string{"-meta", "novalue", "report"}, code: 1, wantErr: `Invalid -meta "novalue": want key=value`},
		{name: "missing payload file", args: []string{"report", filepath.Join(dir, "nope")}, code: 1, wantErr: "Error opening payload file"},
		{name: "payload over the limit", args: []string{"report", big}, code: 1, wantErr: "larger than the limit of 16384 bytes"},
		{name: "server refusal", args: []string{"-meta", "colour=red", "report"}, code: 1,
			wantErr: `Failed to dispatch job: Unexpected response code: 400 (unknown meta keys "colour")`},
		{name: "no job", args: nil, code: 1, wantErr: "This command takes 1 to 2 arguments, got 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got api.JobDispatchRequest
			routes := map[string]interface{}{
				"GET /v1/jobs": prefixList(t, []*api.JobListStub{{ID: "report", ParameterizedJob: true}}),
				"POST /v1/job/report/dispatch": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					readJSONBody(t, r, &got)
					if got.Meta["colour"] != "" {
						http.Error(w, `unknown meta keys "colour"`, http.StatusBadRequest)
						return
					}
					writeJSONBody(t, w, &api.JobDispatchResponse{DispatchedJobID: "report/dispatch-1700000000-0badcafe",
						EvalID: "e1234567-0000-0000-0000-000000000000", EvalCreateIndex: 7, JobCreateIndex: 7, Index: 7})
				}),
			}
			ui := newUi()
			cmd := &JobDispatchCommand{Meta: Meta{Ui: ui}, Stdin: strings.NewReader(tc.stdin)}
			if code := cmd.Run(append([]string{"-address", fakeAPI(t, routes)}, tc.args...)); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, ui.ErrorWriter.String())
			}
			assertContains(t, ui.OutputWriter.String(), tc.wantOut...)
			if tc.wantErr != "" {
				assertContains(t, ui.ErrorWriter.String(), tc.wantErr)
				return
			}
			if string(got.Payload) != tc.wantPayload || !reflect.DeepEqual(got.Meta, tc.wantMeta) {
				t.Fatalf("sent payload %q meta %v, want %q %v", got.Payload, got.Meta, tc.wantPayload, tc.wantMeta)
			}
		})
	}
}

func TestJobPeriodicForce(t *testing.T) {
	routes := map[string]interface{}{
		"GET /v1/jobs":                        prefixList(t, []*api.JobListStub{{ID: "nightly", Periodic: true}}),
		"POST /v1/job/nightly/periodic/force": &api.PeriodicForceResponse{EvalID: "e9", EvalCreateIndex: 3, Index: 3},
	}
	ui := newUi()
	cmd := &JobPeriodicForceCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", fakeAPI(t, routes), "-detach", "night"}); code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter.String())
	}
	assertContains(t, ui.OutputWriter.String(), "Force periodic successful", "Evaluation ID: e9")
}

func TestJobStatus_PeriodicAndParameterized(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	base := func(id string) *api.Job {
		return &api.Job{ID: ptr(id), Name: ptr(id), Type: ptr("batch"), Priority: ptr(50), Datacenters: []string{"dc1"},
			Namespace: ptr("default"), NodePool: ptr("default"), Status: ptr("running")}
	}
	nightly := base("nightly")
	nightly.Periodic = &api.PeriodicConfig{Enabled: ptr(true), Specs: []string{"0 3 * * *"}, SpecType: ptr("cron"), TimeZone: ptr("UTC")}
	report := base("report")
	report.ParameterizedJob = &api.ParameterizedJobConfig{Payload: "required", MetaRequired: []string{"customer"}}
	routes := map[string]interface{}{
		"GET /v1/jobs": prefixList(t, []*api.JobListStub{
			{ID: "nightly", Periodic: true},
			{ID: "nightly/periodic-1893380400", ParentID: "nightly", Status: "dead", SubmitTime: 1},
			{ID: "nightly/periodic-1893466800", ParentID: "nightly", Status: "running", SubmitTime: 2},
			{ID: "report", ParameterizedJob: true},
		}),
		"GET /v1/job/nightly": nightly,
		"GET /v1/job/report":  report,
	}
	cases := []struct {
		job   string
		wants []string
	}{
		{"nightly", []string{"Periodic = true", "Parameterized = false",
			"Next Periodic Launch = 2030-01-02T03:00:00Z (15h from now)",
			"Children Job Summary", "Pending Running Dead", "0 1 1",
			"Previously Launched Jobs", "nightly/periodic-1893380400 dead", "nightly/periodic-1893466800 running"}},
		{"report", []string{"Periodic = false", "Parameterized = true", "Parameterized Job",
			"Payload = required", "Required Metadata = customer", "Optional Metadata = n/a",
			"Parameterized Job Summary", "Dispatched Jobs", "No dispatched instances of parameterized job found"}},
	}
	for _, tc := range cases {
		t.Run(tc.job, func(t *testing.T) {
			ui := newUi()
			cmd := &JobStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
			if code := cmd.Run([]string{"-address", fakeAPI(t, routes), tc.job}); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter.String())
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
			if strings.Contains(ui.OutputWriter.String(), "Allocations") {
				t.Errorf("a parent has no allocations to list:\n%s", ui.OutputWriter.String())
			}
		})
	}
}
