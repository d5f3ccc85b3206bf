package reconcile

import (
	"slices"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// completionsFixture is a batch group that wants five completions, two at
// a time.
func completionsFixture(completions, parallelism int) *fixture {
	f := newFixture(structs.JobTypeBatch, parallelism)
	f.job.TaskGroups[0].Completions = completions
	f.job.TaskGroups[0].Parallelism = parallelism
	return f
}

func TestReconcileCompletions(t *testing.T) {
	complete := status(structs.AllocClientStatusComplete)
	cases := []struct {
		name    string
		in      func() Input
		want    []string
		desired *DesiredUpdates
	}{
		{
			name: "first run places parallelism allocations",
			in:   func() Input { return Input{Job: completionsFixture(5, 2).job} },
			want: []string{"place j.web[0]", "place j.web[1]"},
		},
		{
			name: "parallelism above completions places completions",
			in:   func() Input { return Input{Job: completionsFixture(2, 4).job} },
			want: []string{"place j.web[0]", "place j.web[1]"},
		},
		{
			name: "two running: nothing to do",
			in: func() Input {
				f := completionsFixture(5, 2)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0), f.alloc(1)}}
			},
			want:    nil,
			desired: &DesiredUpdates{Ignore: 2},
		},
		{
			name: "a completion frees a slot for the next index",
			in: func() Input {
				f := completionsFixture(5, 2)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, complete), f.alloc(1)}}
			},
			want:    []string{"place j.web[2]"},
			desired: &DesiredUpdates{Place: 1, Ignore: 2},
		},
		{
			name: "near the end only the missing indexes run",
			in: func() Input {
				f := completionsFixture(5, 2)
				return Input{Job: f.job, Allocs: []*structs.Allocation{
					f.alloc(0, complete), f.alloc(1, complete), f.alloc(2, complete), f.alloc(3, complete), f.alloc(4),
				}}
			},
			want: nil,
		},
		{
			name: "all complete: done",
			in: func() Input {
				f := completionsFixture(3, 2)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, complete), f.alloc(1, complete), f.alloc(2, complete)}}
			},
			want:    nil,
			desired: &DesiredUpdates{Ignore: 3},
		},
		{
			name: "a failure is rescheduled and does not count as a completion",
			in: func() Input {
				f := completionsFixture(5, 2)
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{
					f.alloc(0, complete), f.alloc(1, failedAt(now.Add(-time.Minute))), f.alloc(2),
				}}
			},
			want: []string{"place j.web[1] replacing a1 (reschedule)", "stop a1: " + DescRescheduled},
		},
		{
			name: "a failure waiting for its delay holds its slot",
			in: func() Input {
				f := completionsFixture(5, 2)
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{f.alloc(0, failedAt(now)), f.alloc(1)}}
			},
			want:    []string{"delay a0 until now+5s"},
			desired: &DesiredUpdates{Ignore: 1, Deferred: 1},
		},
		{
			name: "a failure past its attempts is finished and frees its slot",
			in: func() Input {
				f := completionsFixture(5, 2)
				failed := f.alloc(0, failedAt(now), history(ev{now.Add(-time.Hour), 5 * time.Second}))
				return Input{Job: f.job, Now: now, Allocs: []*structs.Allocation{failed, f.alloc(1)}}
			},
			want: []string{"place j.web[2]"},
		},
		{
			name: "lowered parallelism stops the highest running index",
			in: func() Input {
				f := completionsFixture(5, 1)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0), f.alloc(1)}}
			},
			want: []string{"stop a1: " + DescNotNeeded},
		},
		{
			name: "lowered completions stops indexes past the end",
			in: func() Input {
				f := completionsFixture(2, 2)
				return Input{Job: f.job, Allocs: []*structs.Allocation{f.alloc(0, complete), f.alloc(2)}}
			},
			want: []string{"place j.web[1]", "stop a2: " + DescNotNeeded},
		},
		{
			name: "lost allocation is replaced under its index",
			in: func() Input {
				f := completionsFixture(5, 2)
				return Input{Job: f.job, TaintedNodes: map[string]bool{f.node.ID: true}, Allocs: []*structs.Allocation{f.alloc(0), f.alloc(1, complete)}}
			},
			want: []string{"place j.web[0] replacing a0", "place j.web[2]", "stop a0: " + DescLost + " [lost]"},
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
