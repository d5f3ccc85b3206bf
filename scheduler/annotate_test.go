package scheduler_test

import (
	"slices"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
	"github.com/orch-dev/orch/scheduler"
	"github.com/orch-dev/orch/scheduler/schedtest"
)

// reregister stores a deep copy of job changed by change as its next
// version, as Job.Register does for a changed spec.
func reregister(h *schedtest.Harness, job *structs.Job, change func(*structs.Job)) *structs.Job {
	next := job.Copy()
	next.Version++
	next.JobModifyIndex = h.State.Index() + 1
	change(next)
	h.State.UpsertJob(next)
	return next
}

func annotatedEval(job *structs.Job) *structs.Evaluation {
	e := mock.EvalFor(job)
	e.AnnotatePlan = true
	return e
}

// TestAnnotations_Generic runs a job to placement, changes it, and checks
// the counts an annotated evaluation reports for the change.
func TestAnnotations_Generic(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*structs.Job)
		want   structs.DesiredUpdates
	}{
		{"unchanged job is ignored", nil, structs.DesiredUpdates{Ignore: 3}},
		{"count up: new allocations placed, the others updated in place", func(j *structs.Job) {
			j.TaskGroups[0].Count = 5
		}, structs.DesiredUpdates{Place: 2, InPlaceUpdate: 3}},
		{"count down: the extra allocations stop", func(j *structs.Job) {
			j.TaskGroups[0].Count = 1
		}, structs.DesiredUpdates{Stop: 2, InPlaceUpdate: 1}},
		{"new command: every allocation replaced, counted once each", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
		}, structs.DesiredUpdates{DestructiveUpdate: 3}},
		{"job stopped: every allocation stops", func(j *structs.Job) {
			j.Stop = true
		}, structs.DesiredUpdates{Stop: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			job := mock.Job()
			job.TaskGroups[0].Count = 3
			h := setup(t, 2, job)
			process(t, h, mock.EvalFor(job))
			if tc.change != nil {
				job = reregister(h, job, tc.change)
			}
			plans := len(h.Planner.Plans())
			process(t, h, annotatedEval(job))
			if got := len(h.Planner.Plans()); got != plans+1 {
				t.Fatalf("%d plans submitted, want 1: an annotated evaluation always submits its plan", got-plans)
			}
			ann := h.LastPlan().Annotations
			if ann == nil || ann.DesiredTGUpdates["web"] == nil {
				t.Fatalf("plan annotations %+v, want counts for group web", ann)
			}
			if got := *ann.DesiredTGUpdates["web"]; got != tc.want {
				t.Errorf("desired updates %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAnnotations_OnlyWhenAsked(t *testing.T) {
	t.Parallel()
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	h := setup(t, 1, job)
	process(t, h, mock.EvalFor(job))
	if ann := h.LastPlan().Annotations; ann != nil {
		t.Fatalf("plan of an ordinary evaluation carries annotations %+v", ann)
	}
	process(t, h, mock.EvalFor(job))
	if n := len(h.Planner.Plans()); n != 1 {
		t.Fatalf("%d plans, want 1: a no-op plan of an ordinary evaluation is not submitted", n)
	}
}

// TestAnnotations_GenericFailedPlacement: a placement that finds no room
// is still a wanted placement, and the eval explains the failure.
func TestAnnotations_GenericFailedPlacement(t *testing.T) {
	t.Parallel()
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 1 << 20
	h := setup(t, 2, job)
	process(t, h, annotatedEval(job))
	if got := *h.LastPlan().Annotations.DesiredTGUpdates["web"]; got != (structs.DesiredUpdates{Place: 2}) {
		t.Errorf("desired updates %+v, want 2 places", got)
	}
	m := h.LastEval().FailedTGAllocs["web"]
	if m == nil || m.NodesExhausted != 2 || m.DimensionExhausted["memory"] != 2 || m.CoalescedFailures != 1 {
		t.Fatalf("failed allocs %+v, want both nodes exhausted on memory", m)
	}
}

func TestAnnotations_System(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(*structs.Job)
		want   structs.DesiredUpdates
	}{
		{"unchanged job is ignored", nil, structs.DesiredUpdates{Ignore: 3}},
		{"meta change is in place", func(j *structs.Job) {
			j.TaskGroups[0].Meta = map[string]string{"k": "v"}
		}, structs.DesiredUpdates{InPlaceUpdate: 3}},
		{"new command replaces on every node", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
		}, structs.DesiredUpdates{DestructiveUpdate: 3}},
		{"new constraint ruling the nodes out stops, not replaces", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
			j.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${attr.os.name}", RTarget: "plan9", Operand: "="}}
		}, structs.DesiredUpdates{Stop: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			job := systemJob(structs.JobTypeSystem)
			h := setup(t, 3, job)
			process(t, h, annotatedEval(job))
			if got := *h.LastPlan().Annotations.DesiredTGUpdates["web"]; got != (structs.DesiredUpdates{Place: 3}) {
				t.Fatalf("first run: desired updates %+v, want 3 places", got)
			}
			if tc.change != nil {
				job = reregister(h, job, tc.change)
			}
			process(t, h, annotatedEval(job))
			if got := *h.LastPlan().Annotations.DesiredTGUpdates["web"]; got != tc.want {
				t.Errorf("desired updates %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestAnnotate marks up real diffs with a plan's counts.
func TestAnnotate(t *testing.T) {
	t.Parallel()
	base := func() *structs.Job {
		j := mock.Job()
		j.TaskGroups[0].Count = 2
		return j
	}
	cases := []struct {
		name      string
		change    func(*structs.Job)
		desired   structs.DesiredUpdates
		updates   map[string]uint64
		countNote []string
		taskNote  []string
	}{
		{"count up forces creates; the task is unchanged", func(j *structs.Job) { j.TaskGroups[0].Count = 3 },
			structs.DesiredUpdates{Place: 1, InPlaceUpdate: 2},
			map[string]uint64{"create": 1, "in-place update": 2}, []string{"forces create"}, nil},
		{"count down forces destroys", func(j *structs.Job) { j.TaskGroups[0].Count = 1 },
			structs.DesiredUpdates{Stop: 1, InPlaceUpdate: 1},
			map[string]uint64{"destroy": 1, "in-place update": 1}, []string{"forces destroy"}, nil},
		{"new command forces a create/destroy update", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/true"
		}, structs.DesiredUpdates{DestructiveUpdate: 2},
			map[string]uint64{"create/destroy update": 2}, nil, []string{"forces create/destroy update"}},
		{"task meta is updated in place", func(j *structs.Job) {
			j.TaskGroups[0].Tasks[0].Meta = map[string]string{"k": "v"}
		}, structs.DesiredUpdates{InPlaceUpdate: 2},
			map[string]uint64{"in-place update": 2}, nil, []string{"forces in-place update"}},
		{"unchanged job: only ignores", func(*structs.Job) {},
			structs.DesiredUpdates{Ignore: 2}, map[string]uint64{"ignore": 2}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := base()
			next := old.Copy()
			tc.change(next)
			diff, err := old.Diff(next, true)
			if err != nil {
				t.Fatal(err)
			}
			desired := tc.desired
			scheduler.Annotate(diff, &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{"web": &desired}})
			tg := diff.TaskGroups[0]
			if len(tg.Updates) != len(tc.updates) {
				t.Errorf("updates %v, want %v", tg.Updates, tc.updates)
			}
			for k, v := range tc.updates {
				if tg.Updates[k] != v {
					t.Errorf("updates %v, want %v", tg.Updates, tc.updates)
				}
			}
			var countNote []string
			for _, f := range tg.Fields {
				if f.Name == "Count" {
					countNote = f.Annotations
				}
			}
			if !slices.Equal(countNote, tc.countNote) {
				t.Errorf("count annotations %q, want %q", countNote, tc.countNote)
			}
			if got := tg.Tasks[0].Annotations; !slices.Equal(got, tc.taskNote) {
				t.Errorf("task annotations %q, want %q", got, tc.taskNote)
			}
		})
	}
}

func TestAnnotate_NewJob(t *testing.T) {
	t.Parallel()
	diff, err := (*structs.Job)(nil).Diff(mock.Job(), true)
	if err != nil {
		t.Fatal(err)
	}
	scheduler.Annotate(diff, &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{"web": {Place: 10}}})
	tg := diff.TaskGroups[0]
	if tg.Updates["create"] != 10 || !slices.Equal(tg.Tasks[0].Annotations, []string{"forces create"}) {
		t.Fatalf("new group updates %v, task annotations %q", tg.Updates, tg.Tasks[0].Annotations)
	}
}
