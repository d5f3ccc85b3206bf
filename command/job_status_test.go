package command

import (
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func ptr[T any](v T) *T { return &v }

func TestJobStatus(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	job := &api.Job{ID: ptr("web"), Name: ptr("web"), Type: ptr("service"), Priority: ptr(50),
		Datacenters: []string{"dc1"}, Namespace: ptr("default"), NodePool: ptr("default"), Status: ptr("running")}
	routes := map[string]interface{}{
		"GET /v1/jobs": prefixList(t, []*api.JobListStub{
			{ID: "web", Type: "service", Priority: 50, Status: "running"},
			{ID: "batch", Type: "batch", Priority: 40, Status: "dead", Stop: true},
		}),
		"GET /v1/job/web": job,
		"GET /v1/job/web/summary": &api.JobSummary{JobID: "web", Summary: map[string]api.TaskGroupSummary{
			"web": {Running: 3, Failed: 1},
		}},
		"GET /v1/job/web/allocations": []*api.AllocationListStub{{
			ID: "abcd1234-0000-0000-0000-000000000000", NodeID: "node5678-0000-0000-0000-000000000000",
			TaskGroup: "web", JobVersion: 2, DesiredStatus: "run", ClientStatus: "running",
			CreateIndex: 10, CreateTime: now.Add(-12 * time.Second).UnixNano(), ModifyTime: now.Add(-3 * time.Second).UnixNano(),
		}},
	}
	cases := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"list", nil, []string{"ID Type Priority Status Submit Date", "batch batch 40 dead (stopped)", "web service 50 running"}},
		{"one job", []string{"web"}, []string{
			"ID = web", "Type = service", "Status = running",
			"Summary", "Task Group Queued Starting Running Failed Complete Lost Unknown", "web 0 0 3 1 0 0 0",
			"Allocations", "ID Node ID Task Group Version Desired Status Created Modified",
			"abcd1234 node5678 web 2 run running 12s ago 3s ago",
		}},
		{"prefix and verbose", []string{"-verbose", "we"}, []string{"abcd1234-0000-0000-0000-000000000000 node5678-0000-0000-0000-000000000000"}},
		{"json", []string{"-json", "web"}, []string{`"ID": "web"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &JobStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
			args := append([]string{"-address", fakeAPI(t, routes)}, tc.args...)
			if code := cmd.Run(args); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter.String())
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
		})
	}
}

func TestJobStatus_Errors(t *testing.T) {
	routes := map[string]interface{}{
		"GET /v1/jobs": prefixList(t, []*api.JobListStub{{ID: "web-a"}, {ID: "web-b"}}),
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"ambiguous prefix", []string{"web"}, "Prefix \"web\" matched multiple jobs:"},
		{"no match", []string{"db"}, `No job(s) with prefix or id "db" found`},
		{"too many args", []string{"a", "b"}, "This command takes 0 to 1 arguments, got 2"},
		{"bad flag", []string{"-nope"}, "flag provided but not defined: -nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &JobStatusCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append([]string{"-address", fakeAPI(t, routes)}, tc.args...)); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			assertContains(t, ui.ErrorWriter.String(), tc.want)
		})
	}
}
