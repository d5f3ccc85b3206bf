package command

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

const (
	depID   = "5d1a2b3c-0000-0000-0000-000000000001"
	depID2  = "5d1a9999-0000-0000-0000-000000000002"
	otherID = "7e7e7e7e-0000-0000-0000-000000000003"
)

func testDeployments() []*api.Deployment {
	by := time.Date(2030, 1, 1, 12, 10, 0, 0, time.UTC)
	return []*api.Deployment{
		{ID: depID, JobID: "web", JobVersion: 3, Status: "running", CreateIndex: 20,
			StatusDescription: "Deployment is running but requires manual promotion",
			TaskGroups: map[string]*api.DeploymentState{
				"web": {AutoRevert: true, DesiredCanaries: 1, DesiredTotal: 4, PlacedCanaries: []string{"a"},
					PlacedAllocs: 1, HealthyAllocs: 1, ProgressDeadline: 10 * time.Minute, RequireProgressBy: by},
				"api": {DesiredTotal: 2, PlacedAllocs: 2, UnhealthyAllocs: 1, ProgressDeadline: 10 * time.Minute},
			}},
		{ID: depID2, JobID: "web", JobVersion: 2, Status: "successful", CreateIndex: 10,
			StatusDescription: "Deployment completed successfully",
			TaskGroups:        map[string]*api.DeploymentState{"web": {DesiredTotal: 4, PlacedAllocs: 4, HealthyAllocs: 4}}},
		{ID: otherID, JobID: "db", JobVersion: 0, Status: "failed", CreateIndex: 15, StatusDescription: "Failed due to progress deadline"},
	}
}

func deploymentRoutes(t *testing.T) map[string]interface{} {
	ds := testDeployments()
	return map[string]interface{}{
		"GET /v1/deployments":              prefixList(t, ds),
		"GET /v1/deployment/" + depID:      ds[0],
		"GET /v1/deployment/" + depID2:     ds[1],
		"GET /v1/deployment/" + otherID:    ds[2],
		"GET /v1/deployment/allocations/x": []*api.AllocationListStub{},
	}
}

func TestDeploymentListAndStatus(t *testing.T) {
	routes := deploymentRoutes(t)
	progressBy := formatTime(time.Date(2030, 1, 1, 12, 10, 0, 0, time.UTC))
	cases := []struct {
		name  string
		cmd   func(ui *Meta) interface{ Run([]string) int }
		args  []string
		wants []string
	}{
		{"list, newest first", listCmd, nil, []string{
			"ID Job ID Job Version Status Description",
			"5d1a2b3c web 3 running Deployment is running but requires manual promotion\n7e7e7e7e db 0 failed Failed due to progress deadline\n5d1a9999 web 2 successful",
		}},
		{"list verbose", listCmd, []string{"-verbose"}, []string{depID + " web 3 running"}},
		{"list json", listCmd, []string{"-json"}, []string{`"StatusDescription": "Failed due to progress deadline"`}},
		{"status with every column", statusCmd, []string{"5d1a2b"}, []string{
			"ID = 5d1a2b3c", "Job ID = web", "Job Version = 3", "Status = running",
			"Description = Deployment is running but requires manual promotion",
			"Deployed",
			"Task Group Auto Revert Promoted Desired Canaries Placed Healthy Unhealthy Progress Deadline",
			"api false N/A 2 0 2 0 1 N/A",
			"web true false 4 1 1 1 0 " + progressBy,
		}},
		{"status with only the basic columns", statusCmd, []string{"-verbose", depID2}, []string{
			"ID = " + depID2, "Task Group Desired Placed Healthy Unhealthy\nweb 4 4 4 0",
		}},
		{"status of a deployment without groups", statusCmd, []string{otherID}, []string{"Description = Failed due to progress deadline"}},
		{"status json", statusCmd, []string{"-json", depID}, []string{`"PlacedCanaries": [`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := tc.cmd(&Meta{Ui: ui})
			if code := cmd.Run(append([]string{"-address", fakeAPI(t, routes)}, tc.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter.String())
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
			if tc.name == "status with only the basic columns" && strings.Contains(ui.OutputWriter.String(), "Canaries") {
				t.Fatalf("columns no group uses are shown:\n%s", ui.OutputWriter.String())
			}
		})
	}
}

func listCmd(m *Meta) interface{ Run([]string) int }   { return &DeploymentListCommand{Meta: *m} }
func statusCmd(m *Meta) interface{ Run([]string) int } { return &DeploymentStatusCommand{Meta: *m} }

func TestDeploymentStatus_Errors(t *testing.T) {
	routes := deploymentRoutes(t)
	routes["GET /v1/deployments"] = prefixList(t, []*api.Deployment{})
	emptyList := fakeAPI(t, routes)
	cases := []struct {
		name, addr string
		args       []string
		want       string
	}{
		{"ambiguous prefix", fakeAPI(t, deploymentRoutes(t)), []string{"5d1a"}, `Prefix "5d1a" matched multiple deployments`},
		{"no match", emptyList, []string{"abc"}, `No deployment(s) with prefix or id "abc" found`},
		{"no argument", emptyList, nil, "This command takes 1 argument(s), got 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &DeploymentStatusCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append([]string{"-address", tc.addr}, tc.args...)); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			assertContains(t, ui.ErrorWriter.String(), tc.want)
		})
	}
}

// TestDeploymentWrites checks each verb's request and what it prints;
// -detach keeps them from monitoring the evaluation.
func TestDeploymentWrites(t *testing.T) {
	type call struct {
		path string
		body map[string]interface{}
	}
	var got []call
	answer := func(resp map[string]interface{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var body map[string]interface{}
			readJSONBody(t, r, &body)
			got = append(got, call{r.URL.Path, body})
			writeJSONBody(t, w, resp)
		}
	}
	routes := deploymentRoutes(t)
	routes["PUT /v1/deployment/promote/"+depID] = answer(map[string]interface{}{"EvalID": "e1", "Index": 9})
	routes["PUT /v1/deployment/fail/"+depID] = answer(map[string]interface{}{"EvalID": "e2", "RevertedJobVersion": 2})
	routes["PUT /v1/deployment/pause/"+depID] = answer(map[string]interface{}{"Index": 9})
	routes["PUT /v1/deployment/pause/"+otherID] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `deployment resume: bad request: can't resume terminal deployment "`+otherID+`": it is failed`, http.StatusBadRequest)
	})
	addr := fakeAPI(t, routes)
	cases := []struct {
		name     string
		cmd      func(m *Meta) interface{ Run([]string) int }
		args     []string
		code     int
		wantBody map[string]interface{}
		wantOut  string
	}{
		{"promote all", func(m *Meta) interface{ Run([]string) int } { return &DeploymentPromoteCommand{Meta: *m} },
			[]string{"-detach", "5d1a2b"}, 0, map[string]interface{}{"DeploymentID": depID, "All": true, "Groups": nil}, "Evaluation ID: e1"},
		{"promote groups", func(m *Meta) interface{ Run([]string) int } { return &DeploymentPromoteCommand{Meta: *m} },
			[]string{"-detach", "-group", "web", "-group", "api", depID}, 0,
			map[string]interface{}{"DeploymentID": depID, "All": false, "Groups": []interface{}{"web", "api"}}, "Evaluation ID: e1"},
		{"fail with a revert", func(m *Meta) interface{ Run([]string) int } { return &DeploymentFailCommand{Meta: *m} },
			[]string{"-detach", depID}, 0, map[string]interface{}{"DeploymentID": depID},
			`Deployment "5d1a2b3c" failed. Auto-reverted to job version 2.`},
		{"pause", func(m *Meta) interface{ Run([]string) int } { return &DeploymentPauseCommand{Meta: *m} },
			[]string{depID}, 0, map[string]interface{}{"DeploymentID": depID, "Pause": true}, `Deployment "5d1a2b3c" paused`},
		{"resume", func(m *Meta) interface{ Run([]string) int } { return &DeploymentResumeCommand{Meta: *m} },
			[]string{"-verbose", depID}, 0, map[string]interface{}{"DeploymentID": depID, "Pause": false}, `Deployment "` + depID + `" resumed`},
		{"resume a failed deployment", func(m *Meta) interface{ Run([]string) int } { return &DeploymentResumeCommand{Meta: *m} },
			[]string{otherID}, 1, nil, `Error resuming deployment: Unexpected response code: 400 (deployment resume: bad request: can't resume terminal deployment`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			ui := newUi()
			cmd := tc.cmd(&Meta{Ui: ui})
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, ui.ErrorWriter.String())
			}
			assertContains(t, ui.OutputWriter.String()+ui.ErrorWriter.String(), tc.wantOut)
			if tc.wantBody == nil {
				return
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0].body, tc.wantBody) {
				t.Fatalf("sent %+v, want body %v", got, tc.wantBody)
			}
		})
	}
}

func TestJobStatus_LatestDeployment(t *testing.T) {
	job := &api.Job{ID: ptr("web"), Name: ptr("web"), Type: ptr("service"), Status: ptr("running")}
	routes := map[string]interface{}{
		"GET /v1/jobs":                prefixList(t, []*api.JobListStub{{ID: "web"}}),
		"GET /v1/job/web":             job,
		"GET /v1/job/web/summary":     &api.JobSummary{JobID: "web"},
		"GET /v1/job/web/allocations": []*api.AllocationListStub{},
		"GET /v1/job/web/deployment":  testDeployments()[1],
	}
	ui := newUi()
	cmd := &JobStatusCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", fakeAPI(t, routes), "web"}); code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter.String())
	}
	out := ui.OutputWriter.String()
	assertContains(t, out, "Latest Deployment\nID = 5d1a9999\nStatus = successful\nDescription = Deployment completed successfully",
		"Deployed\nTask Group Desired Placed Healthy Unhealthy\nweb 4 4 4 0")
	if strings.Index(out, "Latest Deployment") > strings.Index(out, "Allocations") {
		t.Fatalf("the deployment comes after the allocations:\n%s", out)
	}
	// A job without a deployment (null) shows no such section.
	routes["GET /v1/job/web/deployment"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("null"))
	})
	ui = newUi()
	cmd = &JobStatusCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", fakeAPI(t, routes), "web"}); code != 0 || strings.Contains(ui.OutputWriter.String(), "Latest Deployment") {
		t.Fatalf("exit %d, output:\n%s", code, ui.OutputWriter.String())
	}
}

// TestDeploymentStatus_Monitor: -monitor follows a deployment to its end
// and exits 0 whatever the outcome, as Nomad's; after a failure that
// rolled back it follows the rollback's deployment too; -json is refused.
func TestDeploymentStatus_Monitor(t *testing.T) {
	const failedID = "f0000000-0000-0000-0000-000000000004"
	const rollbackID = "r0000000-0000-0000-0000-000000000005"
	failed := &api.Deployment{ID: failedID, JobID: "web", JobVersion: 5, Status: "failed", CreateIndex: 30,
		StatusDescription: "Failed due to unhealthy allocations - rolling back to job version 2",
		TaskGroups:        map[string]*api.DeploymentState{"web": {AutoRevert: true, DesiredTotal: 4, PlacedAllocs: 1, UnhealthyAllocs: 1}}}
	rollback := &api.Deployment{ID: rollbackID, JobID: "web", JobVersion: 6, Status: "successful", CreateIndex: 40,
		StatusDescription: "Deployment completed successfully",
		TaskGroups:        map[string]*api.DeploymentState{"web": {AutoRevert: true, DesiredTotal: 4, PlacedAllocs: 1, HealthyAllocs: 4}}}
	routes := deploymentRoutes(t)
	routes["GET /v1/deployments"] = prefixList(t, append(testDeployments(), failed, rollback))
	routes["GET /v1/deployment/"+failedID] = failed
	routes["GET /v1/deployment/"+rollbackID] = rollback
	routes["GET /v1/job/web/evaluations"] = []*api.Evaluation{{ID: "e1", JobID: "web", Status: "complete"}}
	routes["GET /v1/job/web/deployment"] = rollback
	yes := true
	routes["GET /v1/deployment/allocations/"+depID2] = []*api.AllocationListStub{
		{ID: "a1111111-0000-0000-0000-000000000001", NodeID: "n1111111-0000-0000-0000-000000000001", TaskGroup: "web", JobVersion: 4,
			DesiredStatus: "run", ClientStatus: "running", CreateIndex: 2, DeploymentStatus: &api.AllocDeploymentStatus{Healthy: &yes}},
		{ID: "a2222222-0000-0000-0000-000000000002", NodeID: "n1111111-0000-0000-0000-000000000001", TaskGroup: "web", JobVersion: 4,
			DesiredStatus: "run", ClientStatus: "pending", CreateIndex: 3},
	}
	addr := fakeAPI(t, routes)
	cases := []struct {
		name    string
		args    []string
		code    int
		wants   []string
		refuses string
	}{
		{"a successful deployment", []string{"-monitor", depID2}, 0, []string{
			`Monitoring deployment "5d1a9999"`, "Deployment successful: Deployment completed successfully",
			"web 4 4 4 0", `Deployment "5d1a9999" successful`}, ""},
		{"a failed deployment still exits 0", []string{"-monitor", otherID}, 0, []string{
			`Monitoring deployment "7e7e7e7e"`, "Deployment failed: Failed due to progress deadline",
			`Deployment "7e7e7e7e" failed: Failed due to progress deadline`}, ""},
		{"an auto-revert's rollback is followed", []string{"-monitor", failedID}, 0, []string{
			`Monitoring deployment "f0000000"`, "rolling back to job version 2", "web true 4 1 0 1",
			`Monitoring deployment "r0000000"`, "web true 4 1 4 0", `Deployment "r0000000" successful`}, ""},
		{"-verbose lists the allocations with their health", []string{"-monitor", "-verbose", depID2}, 0, []string{
			`Monitoring deployment "` + depID2 + `"`, "Allocations", "ID Node ID Task Group Version Desired Status Healthy Canary",
			"a1111111-0000-0000-0000-000000000001 n1111111-0000-0000-0000-000000000001 web 4 run running true false",
			"a2222222-0000-0000-0000-000000000002 n1111111-0000-0000-0000-000000000001 web 4 run pending - false"}, ""},
		{"with -json", []string{"-monitor", "-json", depID2}, 1, nil, "The -monitor flag cannot be used with the -json flag"},
		{"a bad -wait", []string{"-monitor", "-wait", "0s", depID2}, 1, nil, "-wait 0s: want a positive duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &DeploymentStatusCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, ui.OutputWriter.String(), ui.ErrorWriter.String())
			}
			out := squash(ui.OutputWriter.String() + ui.ErrorWriter.String())
			assertContains(t, out, tc.wants...)
			if tc.refuses != "" {
				assertContains(t, ui.ErrorWriter.String(), tc.refuses)
				if ui.OutputWriter.String() != "" {
					t.Fatalf("printed output although refused:\n%s", ui.OutputWriter.String())
				}
			}
		})
	}
}
