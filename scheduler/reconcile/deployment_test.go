package reconcile

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// rollout is a v1 -> v2 destructive update of a service group under an
// update strategy; old allocations "o<i>" run v1, new ones "n<i>" v2.
type rollout struct {
	f      *fixture
	v1, v2 *structs.Job
	d      *structs.Deployment
}

func newRollout(count int, u structs.UpdateStrategy) *rollout {
	f := newFixture("service", count)
	v1 := f.job
	v1.TaskGroups[0].Update = &u
	v2 := v1.Copy()
	v2.Version = v1.Version + 1
	v2.JobModifyIndex = v1.JobModifyIndex + 10
	v2.TaskGroups[0].Tasks[0].Config = map[string]any{"command": "v2"}
	return &rollout{f: f, v1: v1, v2: v2}
}

// deployment makes the stored deployment of v2 with the group's state.
func (r *rollout) deployment(status string, mod func(*structs.DeploymentState)) *rollout {
	d := structs.NewDeployment("d2", r.v2, 50, now)
	d.Status = status
	u := r.v2.TaskGroups[0].Update
	st := &structs.DeploymentState{DesiredTotal: r.v2.TaskGroups[0].Count, DesiredCanaries: u.Canary}
	if mod != nil {
		mod(st)
	}
	d.TaskGroups["web"] = st
	r.d = d
	return r
}

func (r *rollout) old(idx ...int) []*structs.Allocation {
	var out []*structs.Allocation
	for _, i := range idx {
		out = append(out, r.f.alloc(i, id(fmt.Sprintf("o%d", i)), withJob(r.v1)))
	}
	return out
}

// health of a new allocation: nil for not yet judged.
func (r *rollout) newAlloc(i int, healthy *bool, canary bool) *structs.Allocation {
	return r.f.alloc(i, id(fmt.Sprintf("n%d", i)), withJob(r.v2), func(a *structs.Allocation) {
		a.DeploymentID = "d2"
		a.DeploymentStatus = &structs.AllocDeploymentStatus{Healthy: healthy, Canary: canary}
	})
}

func (r *rollout) input(allocs ...[]*structs.Allocation) Input {
	return Input{Job: r.v2, Allocs: slices.Concat(allocs...), Deployment: r.d, NewDeploymentID: "dnew", Now: now}
}

var (
	yes = func() *bool { b := true; return &b }()
	no  = func() *bool { b := false; return &b }()
)

func TestReconcileDeployment(t *testing.T) {
	rolling := func(n int) structs.UpdateStrategy { return structs.UpdateStrategy{MaxParallel: n} }
	cases := []struct {
		name string
		in   func() Input
		want []string
		// created is the ID of the deployment the plan carries, "" none.
		created string
		// joins is the deployment new placements join.
		joins   string
		cancels []string
		desired *DesiredUpdates
	}{
		{
			name:    "rolling max_parallel 1 replaces one and creates the deployment",
			in:      func() Input { r := newRollout(4, rolling(1)); return r.input(r.old(0, 1, 2, 3)) },
			want:    []string{"place j.web[0] replacing o0", "stop o0: " + DescUpdating},
			created: "dnew", joins: "dnew",
			desired: &DesiredUpdates{Place: 1, Stop: 1, Destructive: 1, Ignore: 3},
		},
		{
			name:    "a first version is deployed too, all at once",
			in:      func() Input { r := newRollout(3, rolling(1)); return r.input() },
			want:    []string{"place j.web[0]", "place j.web[1]", "place j.web[2]"},
			created: "dnew", joins: "dnew",
		},
		{
			name: "rolling max_parallel 2 replaces two",
			in:   func() Input { r := newRollout(4, rolling(2)); return r.input(r.old(0, 1, 2, 3)) },
			want: []string{
				"place j.web[0] replacing o0", "place j.web[1] replacing o1",
				"stop o0: " + DescUpdating, "stop o1: " + DescUpdating,
			},
			created: "dnew", joins: "dnew",
		},
		{
			name: "rolling waits while the new allocation is not healthy yet",
			in: func() Input {
				r := newRollout(4, rolling(1)).deployment(structs.DeploymentStatusRunning, nil)
				return r.input(r.old(1, 2, 3), []*structs.Allocation{r.newAlloc(0, nil, false)})
			},
			want:    nil,
			desired: &DesiredUpdates{Ignore: 4},
		},
		{
			name: "rolling places the next batch once healthy",
			in: func() Input {
				r := newRollout(4, rolling(1)).deployment(structs.DeploymentStatusRunning, nil)
				return r.input(r.old(1, 2, 3), []*structs.Allocation{r.newAlloc(0, yes, false)})
			},
			want:  []string{"place j.web[1] replacing o1", "stop o1: " + DescUpdating},
			joins: "d2",
		},
		{
			name: "an unhealthy allocation stops the rollout",
			in: func() Input {
				r := newRollout(4, rolling(2)).deployment(structs.DeploymentStatusRunning, nil)
				return r.input(r.old(1, 2, 3), []*structs.Allocation{r.newAlloc(0, no, false)})
			},
			want: nil,
		},
		{
			name: "canary 1 is placed beside the old allocations",
			in: func() Input {
				r := newRollout(3, structs.UpdateStrategy{MaxParallel: 1, Canary: 1})
				return r.input(r.old(0, 1, 2))
			},
			want:    []string{"place j.web[0] (canary)"},
			created: "dnew", joins: "dnew",
			desired: &DesiredUpdates{Canary: 1, Ignore: 3},
		},
		{
			name: "canary waits for promotion",
			in: func() Input {
				r := newRollout(3, structs.UpdateStrategy{MaxParallel: 1, Canary: 1}).deployment(structs.DeploymentStatusRunning, nil)
				return r.input(r.old(0, 1, 2), []*structs.Allocation{r.newAlloc(0, yes, true)})
			},
			want: nil,
		},
		{
			name: "after promotion the canary's old allocation stops and the rest roll",
			in: func() Input {
				r := newRollout(3, structs.UpdateStrategy{MaxParallel: 1, Canary: 1}).
					deployment(structs.DeploymentStatusRunning, func(st *structs.DeploymentState) { st.Promoted = true })
				return r.input(r.old(0, 1, 2), []*structs.Allocation{r.newAlloc(0, yes, true)})
			},
			want:  []string{"place j.web[1] replacing o1", "stop o0: " + DescCanaryPromoted, "stop o1: " + DescUpdating},
			joins: "d2",
		},
		{
			name: "canary = count is blue/green",
			in: func() Input {
				r := newRollout(2, structs.UpdateStrategy{MaxParallel: 1, Canary: 2})
				return r.input(r.old(0, 1))
			},
			want:    []string{"place j.web[0] (canary)", "place j.web[1] (canary)"},
			created: "dnew", joins: "dnew",
		},
		{
			name: "blue/green promoted stops every old allocation",
			in: func() Input {
				r := newRollout(2, structs.UpdateStrategy{MaxParallel: 1, Canary: 2}).
					deployment(structs.DeploymentStatusRunning, func(st *structs.DeploymentState) { st.Promoted = true })
				return r.input(r.old(0, 1), []*structs.Allocation{r.newAlloc(0, yes, true), r.newAlloc(1, yes, true)})
			},
			want: []string{"stop o0: " + DescCanaryPromoted, "stop o1: " + DescCanaryPromoted},
		},
		{
			name: "surge 1 max_parallel 0 starts one beside and stops nothing",
			in: func() Input {
				r := newRollout(3, structs.UpdateStrategy{MaxSurge: 1})
				return r.input(r.old(0, 1, 2))
			},
			want:    []string{"place j.web[0]"},
			created: "dnew", joins: "dnew",
		},
		{
			name: "surge waits while the surged allocation is not healthy",
			in: func() Input {
				r := newRollout(3, structs.UpdateStrategy{MaxSurge: 1}).deployment(structs.DeploymentStatusRunning, nil)
				return r.input(r.old(0, 1, 2), []*structs.Allocation{r.newAlloc(0, nil, false)})
			},
			want: nil,
		},
		{
			name: "surge stops the old allocation once its replacement is healthy and surges the next",
			in: func() Input {
				r := newRollout(3, structs.UpdateStrategy{MaxSurge: 1}).deployment(structs.DeploymentStatusRunning, nil)
				return r.input(r.old(0, 1, 2), []*structs.Allocation{r.newAlloc(0, yes, false)})
			},
			want:  []string{"place j.web[1]", "stop o0: " + DescCanaryPromoted},
			joins: "d2",
		},
		{
			name: "surge 1 max_parallel 1 also replaces one directly",
			in: func() Input {
				r := newRollout(3, structs.UpdateStrategy{MaxSurge: 1, MaxParallel: 1})
				return r.input(r.old(0, 1, 2))
			},
			want:    []string{"place j.web[0]", "place j.web[1] replacing o1", "stop o1: " + DescUpdating},
			created: "dnew", joins: "dnew",
		},
		{
			name: "paused deployment places nothing",
			in: func() Input {
				r := newRollout(3, rolling(1)).deployment(structs.DeploymentStatusPaused, nil)
				return r.input(r.old(1, 2), []*structs.Allocation{r.newAlloc(0, yes, false)})
			},
			want: nil,
		},
		{
			name: "failed deployment replaces nothing more",
			in: func() Input {
				r := newRollout(3, rolling(1)).deployment(structs.DeploymentStatusFailed, nil)
				return r.input(r.old(1, 2), []*structs.Allocation{r.newAlloc(0, yes, false)})
			},
			want: nil,
		},
		{
			name: "a successful deployment still stops old allocations its healthy ones replaced",
			in: func() Input {
				r := newRollout(2, structs.UpdateStrategy{MaxSurge: 1}).deployment(structs.DeploymentStatusSuccessful, nil)
				return r.input(r.old(1), []*structs.Allocation{r.newAlloc(0, yes, false), r.newAlloc(1, yes, false)})
			},
			want: []string{"stop o1: " + DescCanaryPromoted},
		},
		{
			name: "a newer version cancels the older running deployment",
			in: func() Input {
				r := newRollout(2, rolling(1)).deployment(structs.DeploymentStatusRunning, nil)
				r.d.JobVersion = r.v1.Version // the running deployment is of an older version
				return r.input(r.old(0, 1))
			},
			want:    []string{"place j.web[0] replacing o0", "stop o0: " + DescUpdating},
			created: "dnew", joins: "dnew", cancels: []string{"d2"},
		},
		{
			name: "count raised during a deployment places the new slot and updates the total",
			in: func() Input {
				r := newRollout(4, rolling(1)).deployment(structs.DeploymentStatusRunning, func(st *structs.DeploymentState) { st.DesiredTotal = 3 })
				return r.input(r.old(1, 2), []*structs.Allocation{r.newAlloc(0, nil, false)})
			},
			want:    []string{"place j.web[3]"},
			created: "d2", joins: "d2",
		},
		{
			// Auto-revert of a count-1 group whose only allocation
			// failed: the reverted version's replacement must join a
			// deployment, or the version could never turn stable.
			name: "a new version whose every allocation failed is deployed too",
			in: func() Input {
				r := newRollout(1, rolling(1))
				failed := r.old(0)
				failedAt(now.Add(-time.Hour))(failed[0])
				return r.input(failed)
			},
			want:    []string{"place j.web[0] replacing o0 (reschedule)", "stop o0: " + DescRescheduled},
			created: "dnew", joins: "dnew",
		},
		{
			name: "count lowered during a deployment stops old allocations first",
			in: func() Input {
				r := newRollout(2, rolling(1)).deployment(structs.DeploymentStatusRunning, func(st *structs.DeploymentState) { st.DesiredTotal = 3 })
				return r.input(r.old(1, 2), []*structs.Allocation{r.newAlloc(0, yes, false)})
			},
			want:    []string{"place j.web[1] replacing o1", "stop o1: " + DescUpdating, "stop o2: " + DescNotNeeded},
			created: "d2", joins: "d2",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Reconcile(c.in())
			got := describeDeployment(res)
			if !slices.Equal(got, c.want) {
				t.Fatalf("got\n  %q\nwant\n  %q", got, c.want)
			}
			if gotID := res.Deployment.GetID(); gotID != c.created {
				t.Fatalf("plan deployment = %q, want %q", gotID, c.created)
			}
			if c.created != "" && res.Deployment.TaskGroups["web"].DesiredTotal != c.in().Job.TaskGroups[0].Count {
				t.Fatalf("desired total = %d, want the group's count", res.Deployment.TaskGroups["web"].DesiredTotal)
			}
			for _, p := range res.Place {
				if p.DeploymentID != c.joins {
					t.Fatalf("placement %s joins %q, want %q", p.Name, p.DeploymentID, c.joins)
				}
			}
			var cancelled []string
			for _, u := range res.DeploymentUpdates {
				if u.Status != structs.DeploymentStatusCancelled || u.StatusDescription != structs.DeploymentStatusDescriptionNewerJob {
					t.Fatalf("unexpected deployment update %+v", u)
				}
				cancelled = append(cancelled, u.DeploymentID)
			}
			if !slices.Equal(cancelled, c.cancels) {
				t.Fatalf("cancelled %v, want %v", cancelled, c.cancels)
			}
			if c.desired != nil && *res.Desired["web"] != *c.desired {
				t.Fatalf("desired %s, want %s", res.Desired["web"], c.desired)
			}
		})
	}
}

// describeDeployment is describe with canaries marked.
func describeDeployment(r *Result) []string {
	out := describe(r)
	for i, line := range out {
		for _, p := range r.Place {
			if p.Canary && line == "place "+p.Name {
				out[i] += " (canary)"
			}
		}
	}
	return out
}

func TestReconcileDeploymentStateCarriesStrategy(t *testing.T) {
	r := newRollout(3, structs.UpdateStrategy{MaxParallel: 1, Canary: 1, AutoRevert: true, AutoPromote: true, ProgressDeadline: time.Minute})
	res := Reconcile(r.input(r.old(0, 1, 2)))
	st := res.Deployment.TaskGroups["web"]
	want := structs.DeploymentState{AutoRevert: true, AutoPromote: true, ProgressDeadline: time.Minute, DesiredCanaries: 1, DesiredTotal: 3}
	if st == nil || fmt.Sprint(*st) != fmt.Sprint(want) {
		t.Fatalf("group state = %+v, want %+v", st, want)
	}
	if res.Deployment.Status != structs.DeploymentStatusRunning || res.Deployment.JobVersion != r.v2.Version {
		t.Fatalf("deployment = %+v", res.Deployment)
	}
}

// A new deployment with canaries says what it waits for, as Nomad's.
func TestReconcileDeploymentDescription(t *testing.T) {
	cases := []struct {
		name string
		u    structs.UpdateStrategy
		want string
	}{
		{"no canaries", structs.UpdateStrategy{MaxParallel: 1}, structs.DeploymentStatusDescriptionRunning},
		{"canaries promoted by hand", structs.UpdateStrategy{MaxParallel: 1, Canary: 1}, structs.DeploymentStatusDescriptionRunningNeedsPromotion},
		{"canaries promoted automatically", structs.UpdateStrategy{MaxParallel: 1, Canary: 3, AutoPromote: true},
			structs.DeploymentStatusDescriptionRunningAutoPromotion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRollout(3, tc.u)
			res := Reconcile(r.input(r.old(0, 1, 2)))
			if res.Deployment == nil || res.Deployment.StatusDescription != tc.want {
				t.Fatalf("deployment %+v, want description %q", res.Deployment, tc.want)
			}
		})
	}
}

// Allocations updated in place join the group's deployment with no health
// yet, as in Nomad, so the client judges them again and the deployment
// can reach its total: a count change and a revert to an older spec
// update most allocations in place. A change only in place is deployed
// too, so its version can turn stable.
func TestReconcileDeploymentInPlaceJoins(t *testing.T) {
	inPlaceOnly := func(r *rollout, count int) {
		r.v2.TaskGroups[0].Tasks[0].Config = r.v1.TaskGroups[0].Tasks[0].Config
		r.v2.TaskGroups[0].Count = count
	}
	inOldDeployment := func(as []*structs.Allocation) []*structs.Allocation {
		for _, a := range as {
			a.DeploymentID = "d1"
			a.DeploymentStatus = &structs.AllocDeploymentStatus{Healthy: yes}
		}
		return as
	}
	cases := []struct {
		name   string
		setup  func(r *rollout) Input
		joined int // in-place updates carrying the deployment
		total  int
	}{
		{"count 2 -> 3", func(r *rollout) Input {
			inPlaceOnly(r, 3)
			return r.input(inOldDeployment(r.old(0, 1)))
		}, 2, 3},
		{"meta only", func(r *rollout) Input {
			inPlaceOnly(r, 2)
			r.v2.Meta = map[string]string{"owner": "ops"}
			return r.input(inOldDeployment(r.old(0, 1)))
		}, 2, 2},
		{"in place beside a destructive replacement (a revert)", func(r *rollout) Input {
			inPlaceOnly(r, 3)
			failed := r.f.alloc(2, id("f2"), withJob(func() *structs.Job {
				j := r.v1.Copy()
				j.Version, j.JobModifyIndex = r.v1.Version+1, r.v1.JobModifyIndex+5
				j.TaskGroups[0].Tasks[0].Config = map[string]any{"command": "broken"}
				return j
			}()))
			r.v2.Version, r.v2.JobModifyIndex = r.v1.Version+2, r.v1.JobModifyIndex+10
			return r.input(inOldDeployment(r.old(0, 1)), []*structs.Allocation{failed})
		}, 2, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRollout(2, structs.UpdateStrategy{MaxParallel: 1, ProgressDeadline: time.Minute})
			in := tc.setup(r)
			snapshot := fmt.Sprint(in.Allocs[0].DeploymentID, in.Allocs[0].DeploymentStatus)
			res := Reconcile(in)
			if res.Deployment == nil || res.Deployment.ID != "dnew" || res.Deployment.TaskGroups["web"].DesiredTotal != tc.total {
				t.Fatalf("deployment %+v, want a new one of total %d", res.Deployment, tc.total)
			}
			joined := 0
			for _, a := range res.InPlace {
				if a.DeploymentID == "dnew" && a.DeploymentStatus == nil {
					joined++
				}
			}
			if joined != tc.joined {
				t.Fatalf("%d of %d in-place updates joined the deployment without health, want %d", joined, len(res.InPlace), tc.joined)
			}
			if got := fmt.Sprint(in.Allocs[0].DeploymentID, in.Allocs[0].DeploymentStatus); got != snapshot {
				t.Fatalf("the snapshot's allocation was changed: %s, was %s", got, snapshot)
			}
		})
	}
}
