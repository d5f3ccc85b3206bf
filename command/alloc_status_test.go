package command

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

const allocID = "abcd1234-5678-0000-0000-000000000000"

func testAlloc(now time.Time) *api.Allocation {
	return &api.Allocation{
		ID: allocID, EvalID: evalID, Name: "web.web[0]", NodeID: "node0000-0000-0000-0000-000000000000",
		NodeName: "n1", JobID: "web", TaskGroup: "web", DesiredStatus: "run", ClientStatus: "running",
		Job: &api.Job{Version: ptr(uint64(3)), TaskGroups: []*api.TaskGroup{{Name: ptr("web"),
			Tasks: []*api.Task{{Name: "server"}}}}},
		CreateTime: now.Add(-90 * time.Second).UnixNano(), ModifyTime: now.Add(-30 * time.Second).UnixNano(),
		TaskStates: map[string]*api.TaskState{"server": {State: "running", Restarts: 1, Events: []*api.TaskEvent{
			{Type: "Received", Time: now.Add(-90 * time.Second).UnixNano(), DisplayMessage: "Task received by client"},
			{Type: "Started", Time: now.Add(-89 * time.Second).UnixNano(), DisplayMessage: "Task started by client"},
		}}},
	}
}

func TestAllocStatus(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/allocations":           prefixList(t, []*api.AllocationListStub{{ID: allocID}, {ID: "ffff0000-0000-0000-0000-000000000000"}}),
		"GET /v1/allocation/" + allocID: testAlloc(now),
	})
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wants    []string
	}{
		{name: "by prefix", args: []string{"abcd"}, wants: []string{
			"ID = abcd1234", "Node ID = node0000", "Job Version = 3", "Client Status = running", "Created = 1m30s ago",
			`Task "server" is "running"`, "Restarts = 1", "Recent Events:", "Time Type Description",
			"Started Task started by client", "Received Task received by client",
		}},
		{name: "json", args: []string{"-json", allocID}, wants: []string{`"ID": "` + allocID + `"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &AllocStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != tc.wantCode {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
		})
	}
	t.Run("unknown prefix", func(t *testing.T) {
		ui := newUi()
		if code := (&AllocStatusCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, "9999"}); code != 1 {
			t.Fatalf("exit %d", code)
		}
		assertContains(t, ui.ErrorWriter.String(), `No allocation(s) with prefix or id "9999" found`)
	})
}

// TestAllocStatus_HelpPromisesOnlyKeptEvents guards the help text: tasks
// keep 10 events, so no flag can show "every" event.
func TestAllocStatus_HelpPromisesOnlyKeptEvents(t *testing.T) {
	help := (&AllocStatusCommand{}).Help()
	if strings.Contains(help, "every task event") || !strings.Contains(help, "last 10 events") {
		t.Fatalf("help text:\n%s", help)
	}
}
