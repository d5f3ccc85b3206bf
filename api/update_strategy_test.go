package api

import (
	"reflect"
	"testing"
	"time"
)

// TestCanonicalizeUpdateMerge covers how the job's update block reaches
// each group, as Nomad merges it: the group's fields win, the job's fill
// the rest, defaults fill what neither set; only service jobs get a
// default block; an empty job block is not inherited.
func TestCanonicalizeUpdateMerge(t *testing.T) {
	t.Parallel()
	def := DefaultUpdateStrategy
	with := func(change func(u *UpdateStrategy)) *UpdateStrategy {
		u := def()
		change(u)
		return u
	}
	cases := []struct {
		name      string
		jobType   string
		job       *UpdateStrategy
		group     *UpdateStrategy
		wantJob   *UpdateStrategy
		wantGroup *UpdateStrategy
	}{
		{name: "service without blocks gets the defaults", jobType: JobTypeService,
			wantJob: def(), wantGroup: def()},
		{name: "batch without blocks gets none", jobType: JobTypeBatch},
		{name: "system without blocks gets none", jobType: JobTypeSystem},
		{name: "job block is inherited, filled with defaults", jobType: JobTypeService,
			job:       &UpdateStrategy{MaxParallel: PointerOf(3), AutoRevert: PointerOf(true)},
			wantJob:   with(func(u *UpdateStrategy) { u.MaxParallel, u.AutoRevert = PointerOf(3), PointerOf(true) }),
			wantGroup: with(func(u *UpdateStrategy) { u.MaxParallel, u.AutoRevert = PointerOf(3), PointerOf(true) })},
		{name: "group fields win over the job's", jobType: JobTypeService,
			job:     &UpdateStrategy{MaxParallel: PointerOf(3), HealthCheck: PointerOf("task_states")},
			group:   &UpdateStrategy{MaxParallel: PointerOf(1), Canary: PointerOf(1), MaxSurge: PointerOf(0)},
			wantJob: with(func(u *UpdateStrategy) { u.MaxParallel, u.HealthCheck = PointerOf(3), PointerOf("task_states") }),
			wantGroup: with(func(u *UpdateStrategy) {
				u.HealthCheck, u.Canary = PointerOf("task_states"), PointerOf(1)
			})},
		{name: "group block alone", jobType: JobTypeSystem,
			group:     &UpdateStrategy{MaxSurge: PointerOf(2), MaxParallel: PointerOf(0)},
			wantGroup: with(func(u *UpdateStrategy) { u.MaxSurge, u.MaxParallel = PointerOf(2), PointerOf(0) })},
		// What a server answers for a job whose update is disabled: every
		// field present and zero. Sending it back must not enable updates.
		{name: "a job block of zeros is not inherited", jobType: JobTypeBatch,
			job: zeroUpdate(), wantJob: zeroUpdate()},
		{name: "max_parallel 0 at the job level is inherited", jobType: JobTypeService,
			job:       &UpdateStrategy{MaxParallel: PointerOf(0)},
			wantJob:   with(func(u *UpdateStrategy) { u.MaxParallel = PointerOf(0) }),
			wantGroup: with(func(u *UpdateStrategy) { u.MaxParallel = PointerOf(0) })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			job := &Job{ID: PointerOf("web"), Type: PointerOf(tc.jobType), Update: tc.job.Copy(),
				TaskGroups: []*TaskGroup{{Name: PointerOf("g"), Update: tc.group.Copy(),
					Tasks: []*Task{{Name: "t", Driver: "raw_exec"}}}}}
			for round := 1; round <= 2; round++ { // the server canonicalizes again
				job.Canonicalize()
				if !reflect.DeepEqual(job.Update, tc.wantJob) {
					t.Errorf("round %d: job update = %s, want %s", round, dump(t, job.Update), dump(t, tc.wantJob))
				}
				if got := job.TaskGroups[0].Update; !reflect.DeepEqual(got, tc.wantGroup) {
					t.Errorf("round %d: group update = %s, want %s", round, dump(t, got), dump(t, tc.wantGroup))
				}
			}
		})
	}
}

func TestUpdateStrategyEmpty(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   *UpdateStrategy
		want bool
	}{
		{"nil", nil, true},
		{"no field", &UpdateStrategy{}, true},
		{"only zeros", &UpdateStrategy{MaxParallel: PointerOf(0), Stagger: PointerOf(time.Duration(0)), AutoRevert: PointerOf(false)}, true},
		{"stagger", &UpdateStrategy{Stagger: PointerOf(time.Second)}, false},
		{"max_surge", &UpdateStrategy{MaxSurge: PointerOf(1)}, false},
		{"defaults", DefaultUpdateStrategy(), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.Empty(); got != tc.want {
				t.Fatalf("Empty() = %v, want %v", got, tc.want)
			}
		})
	}
}

func zeroUpdate() *UpdateStrategy {
	var d time.Duration
	return &UpdateStrategy{Stagger: &d, MaxParallel: PointerOf(0), HealthCheck: PointerOf(""),
		MinHealthyTime: &d, HealthyDeadline: &d, ProgressDeadline: &d, Canary: PointerOf(0),
		AutoRevert: PointerOf(false), AutoPromote: PointerOf(false), MaxSurge: PointerOf(0)}
}
