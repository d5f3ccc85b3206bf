package command

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/orch-dev/orch/api"
)

const testJobHCL = `
job "web" {
  datacenters = ["dc1"]
  group "web" {
    count = 2
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["${var.secs}"]
      }
    }
  }
}
variable "secs" {
  default = "60"
}
`

func writeJob(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "web.hcl")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const evalID = "eval1234-0000-0000-0000-000000000000"

func runAllocs(status ...string) []*api.AllocationListStub {
	var out []*api.AllocationListStub
	for i, s := range status {
		out = append(out, &api.AllocationListStub{
			ID:     string(rune('a'+i)) + "lloc000-0000-0000-0000-000000000000",
			NodeID: "node0000-0000-0000-0000-000000000000", Name: "web.web[" + string(rune('0'+i)) + "]",
			TaskGroup: "web", DesiredStatus: "run", ClientStatus: s,
			ClientDescription: map[string]string{"failed": "Failed tasks"}[s],
		})
	}
	return out
}

// evalSequence answers the evaluation with each status in turn, checking
// that every later read is a blocking query.
func evalSequence(t *testing.T, eval *api.Evaluation, statuses ...string) http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i > 0 && r.URL.Query().Get("index") == "" {
			t.Errorf("read %d of the evaluation is not a blocking query: %s", i, r.URL)
		}
		e := *eval
		e.Status = statuses[min(i, len(statuses)-1)]
		w.Header().Set("X-Nomad-Index", "7")
		writeJSONBody(t, w, &e)
	}
}

func TestJobRun(t *testing.T) {
	eval := &api.Evaluation{ID: evalID, JobID: "web"}
	failedEval := &api.Evaluation{ID: evalID, JobID: "web", BlockedEval: "blocked0-0000",
		FailedTGAllocs: map[string]*api.AllocationMetric{"web": {
			NodesEvaluated: 3, NodesExhausted: 2, CoalescedFailures: 0,
			DimensionExhausted: map[string]int{"memory": 2},
			ConstraintFiltered: map[string]int{"missing drivers": 1},
		}}}
	cases := []struct {
		name     string
		args     []string
		eval     http.HandlerFunc
		allocs   interface{}
		wantCode int
		wants    []string
	}{
		{
			name: "runs to running", eval: evalSequence(t, eval, "pending", "complete"),
			allocs: runAllocs("running", "running"), wantCode: 0,
			wants: []string{
				`: Monitoring evaluation "eval1234"`,
				`: Evaluation triggered by job "web"`,
				`: Allocation "alloc000" created: node "node0000", group "web"`,
				`: Allocation "blloc000" created: node "node0000", group "web"`,
				`: Evaluation status changed: "pending" -> "complete"`,
				`: Evaluation "eval1234" finished with status "complete"`,
				`: Evaluation "eval1234": 2/2 allocations running`,
			},
		},
		{
			name: "placement failure", eval: evalSequence(t, failedEval, "complete"),
			allocs: []*api.AllocationListStub{}, wantCode: 2,
			wants: []string{
				`finished with status "complete" but failed to place all allocations:`,
				`Task Group "web" (failed to place 1 allocation):`,
				`* Constraint "missing drivers": 1 nodes excluded by filter`,
				`* Resources exhausted on 2 nodes`,
				`* Dimension "memory" exhausted on 2 nodes`,
				`Evaluation "blocked0" waiting for additional capacity`,
			},
		},
		{
			name: "allocation fails", eval: evalSequence(t, eval, "complete"),
			allocs: runAllocs("running", "failed"), wantCode: 2,
			wants: []string{`Allocation "blloc000" failed: Failed tasks`},
		},
		{
			name: "detach", args: []string{"-detach"}, eval: evalSequence(t, eval, "pending"),
			wantCode: 0, wants: []string{"Job registration successful", "Evaluation ID: " + evalID},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var registered atomic.Pointer[api.JobRegisterRequest]
			addr := fakeAPI(t, map[string]interface{}{
				"PUT /v1/jobs": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var req api.JobRegisterRequest
					readJSONBody(t, r, &req)
					registered.Store(&req)
					writeJSONBody(t, w, &api.JobRegisterResponse{EvalID: evalID})
				}),
				"GET /v1/evaluation/{id}":             tc.eval,
				"GET /v1/evaluation/{id}/allocations": tc.allocs,
			})
			ui := newUi()
			cmd := &JobRunCommand{Meta: Meta{Ui: ui}}
			args := append([]string{"-address", addr, "-var", "secs=5"}, tc.args...)
			code := cmd.Run(append(args, writeJob(t, testJobHCL)))
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, ui.OutputWriter, ui.ErrorWriter)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
			req := registered.Load()
			if req == nil || deref(req.Job.ID) != "web" || req.Job.TaskGroups[0].Tasks[0].Config["args"].([]interface{})[0] != "5" {
				t.Fatalf("registered %+v", req)
			}
		})
	}
}

func TestJobRun_BadInput(t *testing.T) {
	cases := []struct {
		name string
		args func(t *testing.T) []string
		want string
	}{
		{"no file", func(t *testing.T) []string { return nil }, "This command takes 1 argument(s), got 0"},
		{"missing file", func(t *testing.T) []string { return []string{"/nonexistent/web.hcl"} }, "Error reading job file"},
		{"syntax error names file and line", func(t *testing.T) []string {
			return []string{writeJob(t, "job \"web\" {\n  group \"g\" {\n    count = \n  }\n}\n")}
		}, "web.hcl:3"},
		{"bad check-index", func(t *testing.T) []string { return []string{"-check-index", "x", "f.hcl"} }, "invalid index"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &JobRunCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append([]string{"-address", "http://127.0.0.1:1"}, tc.args(t)...)); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			if !strings.Contains(ui.ErrorWriter.String(), tc.want) {
				t.Fatalf("stderr %q does not contain %q", ui.ErrorWriter.String(), tc.want)
			}
		})
	}
}

func TestJobRun_CheckIndexConflict(t *testing.T) {
	addr := fakeAPI(t, map[string]interface{}{
		"PUT /v1/jobs": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var req api.JobRegisterRequest
			readJSONBody(t, r, &req)
			if !req.EnforceIndex || req.JobModifyIndex != 3 {
				t.Errorf("enforce %v index %d, want true 3", req.EnforceIndex, req.JobModifyIndex)
			}
			http.Error(w, "Enforcing job modify index 3: job exists with conflicting job modify index: 5", http.StatusBadRequest)
		}),
	})
	ui := newUi()
	cmd := &JobRunCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", addr, "-check-index", "3", writeJob(t, testJobHCL)}); code != 1 {
		t.Fatalf("exit %d, want 1\nstderr:\n%s", code, ui.ErrorWriter)
	}
	want := "Enforcing job modify index 3: job exists with conflicting job modify index: 5\nJob not updated\n"
	if got := ui.ErrorWriter.String(); got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}

// TestJobRun_Warnings checks both sources of warnings: keys of a JSON job
// file the CLI dropped while decoding it, and the agent's response.
func TestJobRun_Warnings(t *testing.T) {
	cases := []struct {
		name   string
		file   string
		remote string
		want   string
	}{
		{"agent warnings as Nomad prints them", `{"Job": {"ID": "web"}}`, "1 warning:\n\n* Job.Update: not supported by orch yet; ignored",
			"Job Warnings:\n1 warning:\n\n* Job.Update: not supported by orch yet; ignored\n\n"},
		{"ignored keys of a wrapped JSON job", `{"Job": {"ID": "web", "Multiregion": {"Regions": [{"Name": "eu"}]}}}`, "",
			"Job Warnings:\n1 warning:\n\n* Job.Multiregion: not supported by orch yet; ignored\n\n"},
		{"ignored keys of a bare JSON job, merged with the agent's", `{"ID": "web", "Multiregion": {"Regions": [{"Name": "eu"}]}}`,
			"1 warning:\n\n* from the agent",
			"Job Warnings:\n2 warnings:\n\n* Job.Multiregion: not supported by orch yet; ignored\n* from the agent\n\n"},
		{"none", `{"ID": "web", "Update": null}`, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeAPI(t, map[string]interface{}{
				"PUT /v1/jobs": &api.JobRegisterResponse{Warnings: tc.remote},
			})
			path := filepath.Join(t.TempDir(), "web.json")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			ui := newUi()
			cmd := &JobRunCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run([]string{"-address", addr, "-json", "-detach", path}); code != 0 {
				t.Fatalf("exit %d\nstderr:\n%s", code, ui.ErrorWriter)
			}
			out := ui.OutputWriter.String()
			got, _, _ := strings.Cut(out, "Job registration successful")
			if got != tc.want {
				t.Fatalf("output before the result:\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestJobRun_VarFiles(t *testing.T) {
	dir := t.TempDir()
	writeVars := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first, second := writeVars("a.vars.hcl", "secs = \"7\"\n"), writeVars("b.vars.hcl", "secs = \"8\"\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one file", []string{"-var-file", first}, "7"},
		{"later file wins", []string{"-var-file", first, "-var-file=" + second}, "8"},
		{"-var wins over files", []string{"-var-file", second, "-var", "secs=5"}, "5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got atomic.Value
			addr := fakeAPI(t, map[string]interface{}{
				"PUT /v1/jobs": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var req api.JobRegisterRequest
					readJSONBody(t, r, &req)
					got.Store(req.Job.TaskGroups[0].Tasks[0].Config["args"].([]interface{})[0])
					writeJSONBody(t, w, &api.JobRegisterResponse{})
				}),
				"PUT /v1/validate/job": &api.JobValidateResponse{},
			})
			ui := newUi()
			args := append(append([]string{"-address", addr}, tc.args...), writeJob(t, testJobHCL))
			if code := (&JobRunCommand{Meta: Meta{Ui: ui}}).Run(append([]string{"-detach"}, args...)); code != 0 {
				t.Fatalf("run exit %d: %s", code, ui.ErrorWriter)
			}
			if got.Load() != tc.want {
				t.Fatalf("registered secs %v, want %s", got.Load(), tc.want)
			}
			if code := (&JobValidateCommand{Meta: Meta{Ui: ui}}).Run(args); code != 0 {
				t.Fatalf("validate exit %d: %s", code, ui.ErrorWriter)
			}
		})
	}
	t.Run("missing var file is named", func(t *testing.T) {
		ui := newUi()
		code := (&JobRunCommand{Meta: Meta{Ui: ui}}).Run([]string{"-var-file", filepath.Join(dir, "none.hcl"), writeJob(t, testJobHCL)})
		if code != 1 || !strings.Contains(ui.ErrorWriter.String(), "none.hcl") {
			t.Fatalf("exit %d, stderr %q", code, ui.ErrorWriter)
		}
	})
}
