package reconcile

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

var now = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture builds allocations of one job with short, readable IDs.
type fixture struct {
	job  *structs.Job
	node *structs.Node
}

func newFixture(jobType string, count int) *fixture {
	job := mock.Job()
	job.ID, job.Name, job.Type = "j", "j", jobType
	job.TaskGroups[0].Count = count
	return &fixture{job: job, node: mock.Node()}
}

// alloc returns a running allocation "a<index>" of the fixture job named
// with index, changed by the options.
func (f *fixture) alloc(index int, opts ...func(*structs.Allocation)) *structs.Allocation {
	a := mock.AllocFor(f.job, f.node, index)
	a.ID = fmt.Sprintf("a%d", index)
	for _, o := range opts {
		o(a)
	}
	return a
}

func id(s string) func(*structs.Allocation) { return func(a *structs.Allocation) { a.ID = s } }

func status(s string) func(*structs.Allocation) {
	return func(a *structs.Allocation) { a.ClientStatus = s }
}

func stopped(a *structs.Allocation) { a.DesiredStatus = structs.AllocDesiredStatusStop }

func failedAt(t time.Time) func(*structs.Allocation) {
	return func(a *structs.Allocation) {
		a.ClientStatus = structs.AllocClientStatusFailed
		a.TaskStates = map[string]*structs.TaskState{"web": {State: structs.TaskStateDead, Failed: true, FinishedAt: t}}
	}
}

// ev is one earlier reschedule of an allocation's chain.
type ev struct {
	at    time.Time
	delay time.Duration
}

// history gives the allocation a reschedule tracker with the events.
func history(evs ...ev) func(*structs.Allocation) {
	return func(a *structs.Allocation) {
		a.RescheduleTracker = &structs.RescheduleTracker{}
		for i, e := range evs {
			a.RescheduleTracker.Events = append(a.RescheduleTracker.Events, &structs.RescheduleEvent{
				RescheduleTime: e.at.UnixNano(), PrevAllocID: fmt.Sprintf("prev%d", i), PrevNodeID: fmt.Sprintf("node%d", i), Delay: e.delay,
			})
		}
	}
}

func withJob(j *structs.Job) func(*structs.Allocation) {
	return func(a *structs.Allocation) { a.Job = j }
}

// describe renders a result as sorted lines a reader can check at a glance.
func describe(r *Result) []string {
	var out []string
	for _, p := range r.Place {
		line := "place " + p.Name
		if p.Previous != nil {
			line += " replacing " + p.Previous.ID
		}
		if p.Reschedule {
			line += " (reschedule)"
		}
		out = append(out, line)
	}
	for _, s := range r.Stop {
		line := fmt.Sprintf("stop %s: %s", s.Alloc.ID, s.Description)
		if s.ClientStatus != "" {
			line += " [" + s.ClientStatus + "]"
		}
		out = append(out, line)
	}
	for _, a := range r.InPlace {
		out = append(out, "in-place "+a.ID)
	}
	for _, d := range r.Delayed {
		out = append(out, fmt.Sprintf("delay %s until now+%v", d.Alloc.ID, d.At.Sub(now)))
	}
	slices.Sort(out)
	return out
}

func TestReconcile(t *testing.T) {
	type tc struct {
		name    string
		in      func() Input
		want    []string
		desired *DesiredUpdates
	}
	cases := []tc{
		{
			name: "place from nothing",
			in:   func() Input { f := newFixture("service", 3); return Input{Job: f.job} },
			want: []string{"place j.web[0]", "place j.web[1]", "place j.web[2]"},
		},
		{
			name: "scale up reuses stopped index",
			in: func() Input {
				f := newFixture("service", 4)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0), f.alloc(1, stopped), f.alloc(2)}}
			},
			want: []string{"place j.web[1]", "place j.web[3]"},
		},
		{
			name: "scale down stops highest indexes",
			in: func() Input {
				f := newFixture("service", 2)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(3), f.alloc(0), f.alloc(4), f.alloc(1), f.alloc(2)}}
			},
			want: []string{
				"stop a2: " + DescNotNeeded, "stop a3: " + DescNotNeeded, "stop a4: " + DescNotNeeded,
			},
			desired: &DesiredUpdates{Stop: 3, Ignore: 2},
		},
		{
			name: "stopped job stops every running alloc",
			in: func() Input {
				f := newFixture("service", 3)
				f.job.Stop = true
				return Input{Job: f.job, Allocs: []*structs.Allocation{
					f.alloc(0), f.alloc(1, status(structs.AllocClientStatusComplete)), f.alloc(2, stopped),
				}}
			},
			want: []string{"stop a0: " + DescJobStopped},
		},
		{
			name: "purged job on a lost node",
			in: func() Input {
				f := newFixture("service", 1)
				return Input{Allocs: []*structs.Allocation{f.alloc(0)}, TaintedNodes: map[string]bool{f.node.ID: true}}
			},
			want: []string{"stop a0: " + DescJobStopped + " [lost]"},
		},
		{
			name: "batch complete is never replaced",
			in: func() Input {
				f := newFixture("batch", 2)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, status(structs.AllocClientStatusComplete)), f.alloc(1)}}
			},
			want:    nil,
			desired: &DesiredUpdates{Ignore: 2},
		},
		{
			name: "batch complete survives scale down",
			in: func() Input {
				f := newFixture("batch", 1)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0), f.alloc(1, status(structs.AllocClientStatusComplete))}}
			},
			want: []string{"stop a0: " + DescNotNeeded},
		},
		{
			name: "service complete is replaced",
			in: func() Input {
				f := newFixture("service", 1)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, status(structs.AllocClientStatusComplete))}}
			},
			want: []string{"place j.web[0]"},
		},
		{
			name: "service failure waits 30s",
			in: func() Input {
				f := newFixture("service", 2)
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{f.alloc(0, failedAt(now.Add(-10*time.Second))), f.alloc(1)}}
			},
			want:    []string{"delay a0 until now+20s"},
			desired: &DesiredUpdates{Ignore: 1, Deferred: 1},
		},
		{
			name: "service failure past its delay is replaced",
			in: func() Input {
				f := newFixture("service", 1)
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{f.alloc(0, failedAt(now.Add(-31*time.Second)))}}
			},
			want: []string{"place j.web[0] replacing a0 (reschedule)", "stop a0: " + DescRescheduled},
		},
		{
			name: "follow-up eval replaces before the computed time",
			in: func() Input {
				f := newFixture("service", 1)
				a := f.alloc(0, failedAt(now.Add(-time.Second)))
				a.FollowupEvalID = "e2"
				return Input{Job: f.job, Now: now, EvalID: "e2", Allocs: []*structs.Allocation{a}}
			},
			want: []string{"place j.web[0] replacing a0 (reschedule)", "stop a0: " + DescRescheduled},
		},
		{
			name: "failure with a pending follow-up is left alone",
			in: func() Input {
				f := newFixture("service", 1)
				a := f.alloc(0, failedAt(now.Add(-time.Second)))
				a.FollowupEvalID = "e2"
				return Input{Job: f.job, Now: now, EvalID: "e3", Allocs: []*structs.Allocation{a}}
			},
			want:    nil,
			desired: &DesiredUpdates{Deferred: 1},
		},
		{
			name: "service delay doubles per earlier failure",
			in: func() Input {
				f := newFixture("service", 1)
				third := f.alloc(0, id("third"), failedAt(now),
					history(ev{now.Add(-9 * time.Minute), 30 * time.Second}, ev{now.Add(-4 * time.Minute), time.Minute}))
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{third}}
			},
			want: []string{"delay third until now+2m0s"},
		},
		{
			name: "batch failure waits 5s",
			in: func() Input {
				f := newFixture("batch", 1)
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{f.alloc(0, failedAt(now))}}
			},
			want: []string{"delay a0 until now+5s"},
		},
		{
			name: "batch gets one reschedule per day",
			in: func() Input {
				f := newFixture("batch", 1)
				first := f.alloc(0, id("first"), failedAt(now.Add(-time.Hour)), stopped)
				second := f.alloc(0, id("second"), failedAt(now), history(ev{now.Add(-50 * time.Minute), 5 * time.Second}))
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{first, second}}
			},
			want:    nil,
			desired: &DesiredUpdates{Ignore: 1},
		},
		{
			name: "batch reschedule allowed again after a day",
			in: func() Input {
				f := newFixture("batch", 1)
				first := f.alloc(0, id("first"), failedAt(now.Add(-50*time.Hour)), stopped)
				second := f.alloc(0, id("second"), failedAt(now.Add(-time.Minute)), history(ev{now.Add(-49 * time.Hour), 5 * time.Second}))
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{first, second}}
			},
			want: []string{"place j.web[0] replacing second (reschedule)", "stop second: " + DescRescheduled},
		},
		{
			name: "already replaced failure is ignored",
			in: func() Input {
				f := newFixture("service", 1)
				old := f.alloc(0, id("old"), failedAt(now.Add(-time.Hour)))
				old.NextAllocation = "new"
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{old, f.alloc(0, id("new"))}}
			},
			want: nil,
		},
		{
			name: "allocs on a down node are lost and replaced",
			in: func() Input {
				f := newFixture("service", 2)
				down := f.alloc(1)
				down.NodeID = "down-node"
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0), down}, TaintedNodes: map[string]bool{"down-node": true}}
			},
			want:    []string{"place j.web[1] replacing a1", "stop a1: " + DescLost + " [lost]"},
			desired: &DesiredUpdates{Place: 1, Stop: 1, Ignore: 1, Lost: 1},
		},
		{
			name: "task change is a destructive update",
			in: func() Input {
				f := newFixture("service", 1)
				old := *f.job
				f.job = mock.Job()
				f.job.ID, f.job.Name, f.job.Version, f.job.JobModifyIndex = "j", "j", 1, 200
				f.job.TaskGroups[0].Count = 1
				f.job.TaskGroups[0].Tasks[0].Config = map[string]interface{}{"command": "/bin/true"}
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, withJob(&old))}}
			},
			want:    []string{"place j.web[0] replacing a0", "stop a0: " + DescUpdating},
			desired: &DesiredUpdates{Place: 1, Stop: 1, Destructive: 1},
		},
		{
			name: "job datacenter change is destructive",
			in: func() Input {
				f := newFixture("service", 1)
				old := *f.job
				f.job.Version, f.job.Datacenters = 1, []string{"dc2"}
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, withJob(&old))}}
			},
			want: []string{"place j.web[0] replacing a0", "stop a0: " + DescUpdating},
		},
		{
			name: "count and meta change update in place",
			in: func() Input {
				f := newFixture("service", 1)
				old := *f.job
				f.job = mock.Job()
				f.job.ID, f.job.Name, f.job.Version, f.job.JobModifyIndex = "j", "j", 1, 200
				f.job.Meta = map[string]string{"owner": "someone else"}
				f.job.TaskGroups[0].Count = 2
				f.job.TaskGroups[0].Meta = map[string]string{"tier": "web"}
				f.job.TaskGroups[0].Tasks[0].Meta = map[string]string{"x": "y"}
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, withJob(&old))}}
			},
			want:    []string{"in-place a0", "place j.web[1]"},
			desired: &DesiredUpdates{Place: 1, InPlaceUpdate: 1},
		},
		{
			name: "reschedule policy change updates in place",
			in: func() Input {
				f := newFixture("service", 1)
				old := *f.job
				f.job = mock.Job()
				f.job.ID, f.job.Name, f.job.Version, f.job.JobModifyIndex = "j", "j", 1, 200
				f.job.TaskGroups[0].Count = 1
				f.job.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour, Delay: time.Minute, DelayFunction: "constant"}
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, withJob(&old))}}
			},
			want: []string{"in-place a0"},
		},
		{
			name: "update and migrate block changes update in place",
			in: func() Input {
				f := newFixture("service", 1)
				old := *f.job
				f.job = mock.Job()
				f.job.ID, f.job.Name, f.job.Version, f.job.JobModifyIndex = "j", "j", 1, 200
				f.job.TaskGroups[0].Count = 1
				f.job.TaskGroups[0].Update = &structs.UpdateStrategy{MaxParallel: 2, MinHealthyTime: time.Second}
				f.job.TaskGroups[0].Migrate = &structs.MigrateStrategy{MaxParallel: 3}
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, withJob(&old))}}
			},
			want: []string{"in-place a0"},
		},
		{
			name: "removed task group is stopped",
			in: func() Input {
				f := newFixture("service", 1)
				gone := f.alloc(0, id("gone"))
				gone.TaskGroup, gone.Name = "api", "j.api[0]"
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0), gone}}
			},
			want: []string{"stop gone: " + DescGroupRemoved},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in()
			if in.Now.IsZero() {
				in.Now = now
			}
			r := Reconcile(in)
			if got := describe(r); !slices.Equal(got, c.want) {
				t.Fatalf("result:\n got %q\nwant %q", got, c.want)
			}
			if c.desired != nil {
				if got := r.Desired["web"]; got == nil || *got != *c.desired {
					t.Fatalf("desired updates: got %v, want %v", got, c.desired)
				}
			}
		})
	}
}

func TestNameIndex(t *testing.T) {
	cases := map[string]int{
		"web.web[0]": 0, "a.b[12]": 12, "x.y[z]": -1, "x.y": -1, "a[1].b[3]": 3, "a.b[-1]": -1,
	}
	for name, want := range cases {
		if got := NameIndex(name); got != want {
			t.Errorf("NameIndex(%q) = %d, want %d", name, got, want)
		}
	}
	if got := AllocName("job", "grp", 7); got != "job.grp[7]" {
		t.Errorf("AllocName = %q", got)
	}
}
