package nomadlike

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestDecideDeployment(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	yes, no := true, false
	job := &structs.Job{ID: "web", Namespace: "default", Type: structs.JobTypeService, Version: 2, Priority: 50,
		TaskGroups: []*structs.TaskGroup{{Name: "g", Count: 2, Tasks: []*structs.Task{{Name: "t", Config: map[string]any{"v": 2}}}}}}
	v1 := job.Copy()
	v1.Version, v1.Stable = 1, true
	v1.TaskGroups[0].Tasks[0].Config = map[string]any{"v": 1}
	dep := func(mod func(*structs.DeploymentState)) *structs.Deployment {
		d := structs.NewDeployment("d", job, 50, now)
		st := &structs.DeploymentState{DesiredTotal: 2, ProgressDeadline: time.Minute, RequireProgressBy: now.Add(time.Minute)}
		if mod != nil {
			mod(st)
		}
		d.TaskGroups["g"] = st
		return d
	}
	alloc := func(id string, healthy *bool, canary bool, idx uint64) *structs.Allocation {
		return &structs.Allocation{ID: id, DeploymentID: "d", TaskGroup: "g", DesiredStatus: structs.AllocDesiredStatusRun,
			ClientStatus:     structs.AllocClientStatusRunning,
			DeploymentStatus: &structs.AllocDeploymentStatus{Healthy: healthy, Canary: canary, ModifyIndex: idx}}
	}
	cases := []struct {
		name string
		in   watchInput
		// want: "success", "fail:<description prefix>", "promote", "eval" or "".
		want   string
		revert bool
		wake   time.Time
	}{
		{name: "nothing judged yet waits for the deadline",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", nil, false, 0)}, Job: job, Now: now},
			wake: now.Add(time.Minute)},
		{name: "a new healthy allocation asks for the next batch",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", &yes, false, 7)}, Job: job, Now: now, SeenHealth: 3},
			want: "eval", wake: now.Add(time.Minute)},
		{name: "health already answered creates no eval",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", &yes, false, 7)}, Job: job, Now: now, SeenHealth: 7},
			wake: now.Add(time.Minute)},
		{name: "all healthy succeeds",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", &yes, false, 7), alloc("b", &yes, false, 8)}, Job: job, Now: now},
			want: "success"},
		{name: "unhealthy fails",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", &no, false, 7)}, Job: job, Now: now},
			want: "fail:" + structs.DeploymentStatusDescriptionFailedAllocations},
		{name: "unhealthy with auto_revert rolls back to the stable version",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.AutoRevert = true }),
				Allocs: []*structs.Allocation{alloc("a", &no, false, 7)}, Job: job, Versions: []*structs.Job{job, v1}, Now: now},
			want: "fail:" + structs.DeploymentStatusDescriptionRollback(structs.DeploymentStatusDescriptionFailedAllocations, 1), revert: true},
		{name: "progress deadline passed fails",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", &yes, false, 7)}, Job: job, Now: now.Add(time.Minute)},
			want: "fail:" + structs.DeploymentStatusDescriptionProgressDeadline},
		{name: "canaries awaiting manual promotion are not late",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.DesiredCanaries = 1 }),
				Allocs: []*structs.Allocation{alloc("c", &yes, true, 7)}, Job: job, Now: now.Add(time.Hour), SeenHealth: 7}},
		// As Nomad's watcher at the progress deadline: a group whose
		// canaries are all healthy waits for the operator, not failed;
		// one still short of healthy canaries fails; once promoted, the
		// deadline (restarted by the promotion) applies again.
		{name: "canaries not all healthy at the deadline fail",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.DesiredCanaries = 2 }),
				Allocs: []*structs.Allocation{alloc("c", &yes, true, 7), alloc("e", nil, true, 0)}, Job: job, Now: now.Add(time.Minute), SeenHealth: 7},
			want: "fail:" + structs.DeploymentStatusDescriptionProgressDeadline},
		{name: "a healthy canary that stopped does not count at the deadline",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.DesiredCanaries = 1 }),
				Allocs: []*structs.Allocation{func() *structs.Allocation {
					a := alloc("c", &yes, true, 7)
					a.ClientStatus = structs.AllocClientStatusFailed
					return a
				}()}, Job: job, Now: now.Add(time.Minute), SeenHealth: 7},
			want: "fail:" + structs.DeploymentStatusDescriptionProgressDeadline},
		{name: "promoted canaries are held to the deadline again",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.DesiredCanaries = 1; st.Promoted = true }),
				Allocs: []*structs.Allocation{alloc("c", &yes, true, 7)}, Job: job, Now: now.Add(time.Minute), SeenHealth: 7},
			want: "fail:" + structs.DeploymentStatusDescriptionProgressDeadline},
		{name: "healthy canaries with auto_promote past the deadline are promoted, not failed",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.DesiredCanaries = 1; st.AutoPromote = true }),
				Allocs: []*structs.Allocation{alloc("c", &yes, true, 7)}, Job: job, Now: now.Add(time.Hour), SeenHealth: 7},
			want: "promote"},
		{name: "healthy canaries with auto_promote are promoted",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.DesiredCanaries = 1; st.AutoPromote = true }),
				Allocs: []*structs.Allocation{alloc("c", &yes, true, 7)}, Job: job, Now: now},
			want: "promote"},
		{name: "unpromoted canaries keep the deployment from succeeding",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.DesiredCanaries = 2; st.DesiredTotal = 2 }),
				Allocs: []*structs.Allocation{alloc("c", &yes, true, 7), alloc("e", &yes, true, 8)}, Job: job, Now: now, SeenHealth: 8}},
		{name: "paused deployment is left alone",
			in: watchInput{Deployment: func() *structs.Deployment { d := dep(nil); d.Status = structs.DeploymentStatusPaused; return d }(),
				Allocs: []*structs.Allocation{alloc("a", &no, false, 7)}, Job: job, Now: now.Add(time.Hour)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			act := decideDeployment(c.in)
			got := ""
			switch {
			case act.Status != nil && act.Status.DeploymentUpdate.Status == structs.DeploymentStatusSuccessful:
				got = "success"
			case act.Status != nil:
				got = "fail:" + act.Status.DeploymentUpdate.StatusDescription
				if act.Status.Eval == nil || act.Status.Eval.TriggeredBy != structs.EvalTriggerDeploymentWatcher {
					t.Fatalf("failure without a deployment-watcher eval: %+v", act.Status.Eval)
				}
			case act.Promote != nil:
				got = "promote"
				if !act.Promote.Now.Equal(c.in.Now) || act.Promote.Eval == nil {
					t.Fatalf("promotion must carry the time and an eval: %+v", act.Promote)
				}
			case act.Eval != nil:
				got = "eval"
			}
			if !strings.HasPrefix(got, c.want) || (c.want == "" && got != "") {
				t.Fatalf("action %q, want %q", got, c.want)
			}
			if reverted := act.Status != nil && act.Status.Job != nil; reverted != c.revert {
				t.Fatalf("revert = %v, want %v", reverted, c.revert)
			}
			if c.revert && act.Status.Job.Version != 1 {
				t.Fatalf("reverted to version %d, want 1", act.Status.Job.Version)
			}
			if !act.WakeAt.Equal(c.wake) {
				t.Fatalf("wake at %v, want %v", act.WakeAt, c.wake)
			}
		})
	}
}
