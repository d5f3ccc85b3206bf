package command

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestAllocLogs(t *testing.T) {
	logs := "line1\nline2\nline3\n"
	cases := []struct {
		name      string
		args      []string
		wantOut   string
		wantQuery string
	}{
		{"whole log, task inferred", []string{allocID}, logs, "follow=false&offset=0&origin=start&task=server&type=stdout"},
		{"stderr of named task", []string{"-stderr", allocID, "server"}, logs, "type=stderr"},
		{"tail lines", []string{"-tail", "-n", "2", allocID}, "line2\nline3\n", "origin=end"},
		{"tail bytes", []string{"-tail", "-c", "6", allocID}, logs, "offset=6&origin=end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var query string
			addr := fakeAPI(t, map[string]interface{}{
				"GET /v1/allocation/" + allocID: testAlloc(time.Now()),
				"GET /v1/client/fs/logs/" + allocID: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					query = r.URL.RawQuery
					enc := json.NewEncoder(w)
					for _, part := range strings.SplitAfter(logs, "\n") {
						if part != "" {
							_ = enc.Encode(&api.StreamFrame{Data: []byte(part)})
						}
					}
				}),
			})
			ui := newUi()
			var out bytes.Buffer
			cmd := &AllocLogsCommand{Meta: Meta{Ui: ui}, Stdout: &out}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
			}
			if out.String() != tc.wantOut {
				t.Fatalf("logs %q, want %q", out.String(), tc.wantOut)
			}
			if !strings.Contains(query, tc.wantQuery) {
				t.Fatalf("query %q does not contain %q", query, tc.wantQuery)
			}
		})
	}
}

func TestAllocLogs_UsageErrors(t *testing.T) {
	ui := newUi()
	if code := (&AllocLogsCommand{Meta: Meta{Ui: ui}}).Run([]string{"-n", "3", allocID}); code != 1 {
		t.Fatalf("exit %d", code)
	}
	assertContains(t, ui.ErrorWriter.String(), "-n and -c only apply with -tail")
}

func TestPickTask(t *testing.T) {
	two := &api.Allocation{ID: "a", TaskGroup: "g", Job: &api.Job{TaskGroups: []*api.TaskGroup{{
		Name: ptr("g"), Tasks: []*api.Task{{Name: "x"}, {Name: "y"}}}}}}
	cases := []struct {
		name, task, want, wantErr string
		alloc                     *api.Allocation
	}{
		{name: "only task", alloc: testAlloc(time.Now()), want: "server"},
		{name: "named", alloc: two, task: "y", want: "y"},
		{name: "ambiguous", alloc: two, wantErr: "name one of x, y"},
		{name: "from task states", alloc: &api.Allocation{TaskStates: map[string]*api.TaskState{"t": {}}}, want: "t"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickTask(tc.alloc, tc.task)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}

func TestLastLines(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb\n"},
		{"a\nb\n", 0, ""},
		{"", 3, ""},
	}
	for _, tc := range cases {
		if got := string(lastLines([]byte(tc.in), tc.n)); got != tc.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
