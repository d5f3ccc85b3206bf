package nomadlike

import (
	"maps"
	"slices"
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
	noDeadline := func(st *structs.DeploymentState) { st.ProgressDeadline, st.RequireProgressBy = 0, time.Time{} }
	marked := func(a *structs.Allocation) *structs.Allocation {
		a.DesiredTransition.Reschedule = &yes
		return a
	}
	// limited allows one reschedule an hour.
	limited := job.Copy()
	limited.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour, Delay: time.Second,
		DelayFunction: structs.RescheduleDelayConstant}
	rescheduledBefore := func(a *structs.Allocation, at time.Time) *structs.Allocation {
		a.DeploymentStatus.Timestamp = now
		a.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{{RescheduleTime: at.UnixNano(), PrevAllocID: "old"}}}
		return a
	}
	cases := []struct {
		name string
		in   watchInput
		// want: "success", "fail:<description prefix>",
		// "reschedule:<marked IDs>", "promote", "eval" or "".
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
		// An unhealthy allocation, as in Nomad: without a progress
		// deadline it fails the deployment at once; with one, it is
		// marked for rescheduling while its reschedule policy allows
		// another replacement, and fails it at once when not.
		{name: "unhealthy without a progress deadline fails at once",
			in:   watchInput{Deployment: dep(noDeadline), Allocs: []*structs.Allocation{alloc("a", &no, false, 7)}, Job: job, Now: now},
			want: "fail:" + structs.DeploymentStatusDescriptionFailedAllocations},
		{name: "unhealthy without a progress deadline and auto_revert rolls back to the stable version",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { noDeadline(st); st.AutoRevert = true }),
				Allocs: []*structs.Allocation{alloc("a", &no, false, 7)}, Job: job, Versions: []*structs.Job{job, v1}, Now: now},
			want: "fail:" + structs.DeploymentStatusDescriptionRollback(structs.DeploymentStatusDescriptionFailedAllocations, 1), revert: true},
		{name: "unhealthy with a progress deadline and reschedule attempts left is marked, not failed",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.AutoRevert = true }),
				Allocs: []*structs.Allocation{alloc("a", &no, false, 7), alloc("b", &yes, false, 6)}, Job: limited, Versions: []*structs.Job{limited, v1}, Now: now, SeenHealth: 6},
			want: "reschedule:a", wake: now.Add(time.Minute)},
		{name: "unhealthy under the default unlimited policy is marked",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", &no, false, 7)}, Job: job, Now: now},
			want: "reschedule:a", wake: now.Add(time.Minute)},
		{name: "unhealthy already marked asks for nothing new",
			in:   watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{marked(alloc("a", &no, false, 7))}, Job: job, Now: now, SeenHealth: 7},
			wake: now.Add(time.Minute)},
		{name: "unhealthy the scheduler already stopped is not judged again",
			in: watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{func() *structs.Allocation {
				a := marked(alloc("a", &no, false, 7))
				a.DesiredStatus = structs.AllocDesiredStatusStop
				return a
			}(), alloc("r", nil, false, 0)}, Job: job, Now: now, SeenHealth: 7},
			wake: now.Add(time.Minute)},
		{name: "unhealthy with reschedule attempts used up fails at once",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.AutoRevert = true }),
				Allocs: []*structs.Allocation{rescheduledBefore(alloc("a", &no, false, 7), now.Add(-10*time.Minute))},
				Job:    limited, Versions: []*structs.Job{limited, v1}, Now: now},
			want: "fail:" + structs.DeploymentStatusDescriptionRollback(structs.DeploymentStatusDescriptionFailedAllocations, 1), revert: true},
		{name: "unhealthy with an attempt outside the interval is marked",
			in: watchInput{Deployment: dep(nil),
				Allocs: []*structs.Allocation{rescheduledBefore(alloc("a", &no, false, 7), now.Add(-2*time.Hour))}, Job: limited, Now: now},
			want: "reschedule:a", wake: now.Add(time.Minute)},
		{name: "unhealthy with rescheduling disabled fails at once",
			in: watchInput{Deployment: dep(nil), Allocs: []*structs.Allocation{alloc("a", &no, false, 7)}, Job: func() *structs.Job {
				j := job.Copy()
				j.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 0, Interval: time.Hour}
				return j
			}(), Now: now},
			want: "fail:" + structs.DeploymentStatusDescriptionFailedAllocations},
		{name: "progress deadline passing after replacements fails and rolls back",
			in: watchInput{Deployment: dep(func(st *structs.DeploymentState) { st.AutoRevert = true }),
				Allocs: []*structs.Allocation{marked(alloc("a", &no, false, 7)), alloc("r", nil, false, 0)},
				Job:    job, Versions: []*structs.Job{job, v1}, Now: now.Add(time.Minute), SeenHealth: 7},
			want: "fail:" + structs.DeploymentStatusDescriptionRollback(structs.DeploymentStatusDescriptionProgressDeadline, 1), revert: true},
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
			case act.Reschedule != nil:
				ids := slices.Sorted(maps.Keys(act.Reschedule.Allocs))
				got = "reschedule:" + strings.Join(ids, ",")
				for _, id := range ids {
					if !act.Reschedule.Allocs[id].ShouldReschedule() {
						t.Fatalf("alloc %s marked without Reschedule: %+v", id, act.Reschedule.Allocs[id])
					}
				}
				if len(act.Reschedule.Evals) != 1 || act.Reschedule.Evals[0].TriggeredBy != structs.EvalTriggerDeploymentWatcher {
					t.Fatalf("marks without a deployment-watcher eval: %+v", act.Reschedule.Evals)
				}
			case act.Promote != nil:
				got = "promote"
				if !act.Promote.Now.Equal(c.in.Now) || act.Promote.Eval == nil {
					t.Fatalf("promotion must carry the time and an eval: %+v", act.Promote)
				}
			case act.Eval != nil:
				got = "eval"
			}
			if !strings.HasPrefix(got, c.want) || (c.want == "" && got != "") ||
				(strings.HasPrefix(c.want, "reschedule:") && got != c.want) {
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
