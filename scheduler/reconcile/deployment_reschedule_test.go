package reconcile

import (
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestReconcileMarkedUnhealthy covers allocations the deployment watcher
// marked DesiredTransition.Reschedule: still running but unhealthy, they
// are replaced like failed ones while their deployment is the active one
// of the current version, and left alone otherwise.
func TestReconcileMarkedUnhealthy(t *testing.T) {
	const delay = 5 * time.Second
	setup := func(count int, status string) *rollout {
		r := newRollout(count, structs.UpdateStrategy{MaxParallel: 1, ProgressDeadline: time.Minute})
		r.v2.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Unlimited: true, Delay: delay, DelayFunction: structs.RescheduleDelayConstant}
		return r.deployment(status, nil)
	}
	// unhealthy is new allocation i judged unhealthy ago before now,
	// marked for rescheduling when mark is set.
	unhealthy := func(r *rollout, i int, ago time.Duration, mark bool) *structs.Allocation {
		a := r.newAlloc(i, no, false)
		a.DeploymentStatus.Timestamp = now.Add(-ago)
		// A recent client update must not restart the delay.
		a.ModifyTime = now.UnixNano()
		if mark {
			a.DesiredTransition.Reschedule = yes
		}
		return a
	}
	cases := []struct {
		name string
		in   func() Input
		want []string
		// replaced is the allocation the placement's tracker names.
		replaced string
	}{
		{
			name: "marked and past its delay is replaced in the deployment; the rollout waits",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusRunning)
				return r.input(r.old(1), []*structs.Allocation{unhealthy(r, 0, 10*time.Second, true)})
			},
			want:     []string{"place j.web[0] replacing n0 (reschedule)", "stop n0: " + DescRescheduled},
			replaced: "n0",
		},
		{
			name: "marked within its delay waits for a follow-up evaluation",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusRunning)
				return r.input(r.old(1), []*structs.Allocation{unhealthy(r, 0, time.Second, true)})
			},
			want: []string{"delay n0 until now+4s"},
		},
		{
			name: "marked, replaced by its follow-up evaluation",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusRunning)
				a := unhealthy(r, 0, time.Second, true)
				a.FollowupEvalID = "follow"
				in := r.input(r.old(1), []*structs.Allocation{a})
				in.EvalID = "follow"
				return in
			},
			want:     []string{"place j.web[0] replacing n0 (reschedule)", "stop n0: " + DescRescheduled},
			replaced: "n0",
		},
		{
			name: "marked with every allocation on the new version",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusRunning)
				return r.input([]*structs.Allocation{unhealthy(r, 0, time.Minute, true), r.newAlloc(1, yes, false)})
			},
			want:     []string{"place j.web[0] replacing n0 (reschedule)", "stop n0: " + DescRescheduled},
			replaced: "n0",
		},
		{
			name: "a failed unhealthy allocation waiting for its reschedule holds the rollout",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusRunning)
				a := r.newAlloc(0, no, false)
				failedAt(now.Add(-time.Second))(a)
				return r.input(r.old(1), []*structs.Allocation{a})
			},
			want: []string{"delay n0 until now+4s"},
		},
		{
			name: "unhealthy but not marked is left running",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusRunning)
				return r.input(r.old(1), []*structs.Allocation{unhealthy(r, 0, time.Minute, false)})
			},
		},
		{
			name: "marked in a failed deployment is not replaced",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusFailed)
				return r.input(r.old(1), []*structs.Allocation{unhealthy(r, 0, time.Minute, true)})
			},
		},
		{
			name: "marked in a paused deployment waits for the resume",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusPaused)
				return r.input(r.old(1), []*structs.Allocation{unhealthy(r, 0, time.Minute, true)})
			},
		},
		{
			name: "marked in a deployment that is not the job's current one is not replaced",
			in: func() Input {
				r := setup(2, structs.DeploymentStatusRunning)
				a := unhealthy(r, 0, time.Minute, true)
				a.DeploymentID = "d1"
				return r.input([]*structs.Allocation{a, r.newAlloc(1, yes, false)})
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Reconcile(c.in())
			if got := describe(res); !slices.Equal(got, c.want) {
				t.Fatalf("got\n  %q\nwant\n  %q", got, c.want)
			}
			for _, p := range res.Place {
				if p.DeploymentID != "d2" {
					t.Fatalf("replacement joins deployment %q, want d2", p.DeploymentID)
				}
				events := p.RescheduleTracker.Events
				if len(events) != 1 || events[0].PrevAllocID != c.replaced || events[0].Delay != delay {
					t.Fatalf("tracker %+v, want one event for %s with delay %v", events, c.replaced, delay)
				}
				if !p.PenaltyNodes()[p.Previous.NodeID] {
					t.Fatalf("replacement does not avoid node %s: %v", p.Previous.NodeID, p.PenaltyNodes())
				}
			}
		})
	}
}
