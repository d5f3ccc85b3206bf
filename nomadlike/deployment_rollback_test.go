package nomadlike

import (
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestFailDeployment(t *testing.T) {
	t.Parallel()
	v0 := mock.Job()
	v0.Stable = true
	v1 := v0.Copy()
	v1.Version, v1.Stable = 1, false
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"2000"}
	// v2 has the spec of v0: going back to v0 would change nothing.
	v2 := v0.Copy()
	v2.Version, v2.Stable = 2, false
	base := structs.DeploymentStatusDescriptionFailedByUser
	deployment := func(version uint64, autoRevert bool) *structs.Deployment {
		d := &structs.Deployment{ID: "d", JobVersion: version, TaskGroups: map[string]*structs.DeploymentState{
			"web": {AutoRevert: autoRevert}, "db": {}}}
		return d
	}
	cases := []struct {
		name        string
		d           *structs.Deployment
		groups      []string
		current     *structs.Job
		versions    []*structs.Job
		wantDesc    string
		wantVersion int // -1: no revert
	}{
		{"no auto_revert", deployment(1, false), nil, v1, []*structs.Job{v1, v0}, base, -1},
		{"reverts to the newest stable version", deployment(1, true), nil, v1, []*structs.Job{v1, v0},
			base + " - rolling back to job version 0", 0},
		{"only the groups that failed count", deployment(1, true), []string{"db"}, v1, []*structs.Job{v1, v0}, base, -1},
		{"a failed group with auto_revert", deployment(1, true), []string{"db", "web"}, v1, []*structs.Job{v1, v0},
			base + " - rolling back to job version 0", 0},
		{"no stable version", deployment(1, true), nil, v1, []*structs.Job{v1}, base + " - no stable job version to auto revert to", -1},
		{"a stable version newer than the deployment is not a target", deployment(0, true), nil, v1, []*structs.Job{v1, v0},
			base + " - no stable job version to auto revert to", -1},
		{"same specification", deployment(2, true), nil, v2, []*structs.Job{v2, v1, v0},
			base + " - not rolling back to stable job version 0 as current job has same specification", -1},
		{"purged job", deployment(1, true), nil, nil, nil, base, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, revert := failDeployment(tc.d, base, tc.groups, tc.current, tc.versions)
			if u.Status != structs.DeploymentStatusFailed || u.DeploymentID != "d" || u.StatusDescription != tc.wantDesc {
				t.Errorf("update %+v, want failed with %q", u, tc.wantDesc)
			}
			switch {
			case tc.wantVersion < 0 && revert != nil:
				t.Errorf("reverts to version %d, want no revert", revert.Version)
			case tc.wantVersion >= 0 && (revert == nil || revert.Version != uint64(tc.wantVersion)):
				t.Errorf("revert %v, want version %d", revert, tc.wantVersion)
			case revert != nil && revert == tc.versions[len(tc.versions)-1]:
				t.Error("the revert shares the stored version")
			}
		})
	}
}

func TestResumeDescription(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		groups map[string]*structs.DeploymentState
		want   string
	}{
		{"no canaries", map[string]*structs.DeploymentState{"web": {}}, structs.DeploymentStatusDescriptionRunning},
		{"canaries waiting", map[string]*structs.DeploymentState{"web": {DesiredCanaries: 1}}, structs.DeploymentStatusDescriptionRunningNeedsPromotion},
		{"canaries promoted", map[string]*structs.DeploymentState{"web": {DesiredCanaries: 1, Promoted: true}}, structs.DeploymentStatusDescriptionRunning},
		{"auto promotion", map[string]*structs.DeploymentState{"web": {DesiredCanaries: 1, AutoPromote: true}}, structs.DeploymentStatusDescriptionRunningAutoPromotion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &structs.Deployment{Status: structs.DeploymentStatusPaused, TaskGroups: tc.groups}
			if got := resumeDescription(d); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDeploymentEval(t *testing.T) {
	t.Parallel()
	job := mock.Job()
	d := mock.DeploymentFor(job)
	now := time.Unix(1700000000, 0)
	e := deploymentEval(d, job, now)
	if e.DeploymentID != d.ID || e.JobID != job.ID || e.TriggeredBy != structs.EvalTriggerDeploymentWatcher ||
		e.Status != structs.EvalStatusPending || e.Type != job.Type || e.CreateTime != now.UnixNano() {
		t.Fatalf("eval %+v", e)
	}
	if deploymentEval(d, nil, now) != nil {
		t.Fatal("an eval for a purged job")
	}
}
