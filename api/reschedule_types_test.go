package api

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestCanonicalizeReschedule(t *testing.T) {
	t.Parallel()
	service := DefaultReschedulePolicy(JobTypeService)
	cases := []struct {
		name     string
		jobType  string
		jobLevel *ReschedulePolicy
		group    *ReschedulePolicy
		want     *ReschedulePolicy
	}{
		{name: "service default", jobType: JobTypeService, want: service},
		{name: "batch default", jobType: JobTypeBatch, want: &ReschedulePolicy{
			Attempts: PointerOf(1), Interval: PointerOf(24 * time.Hour), Delay: PointerOf(5 * time.Second),
			DelayFunction: PointerOf("constant"), MaxDelay: PointerOf(time.Duration(0)), Unlimited: PointerOf(false),
		}},
		{name: "system has none", jobType: JobTypeSystem, want: nil},
		{name: "sysbatch has none", jobType: JobTypeSysBatch, want: nil},
		{name: "group block over service defaults", jobType: JobTypeService,
			group: &ReschedulePolicy{Delay: PointerOf(time.Minute), DelayFunction: PointerOf("fibonacci")},
			want: &ReschedulePolicy{
				Attempts: PointerOf(0), Interval: PointerOf(time.Duration(0)), Delay: PointerOf(time.Minute),
				DelayFunction: PointerOf("fibonacci"), MaxDelay: PointerOf(time.Hour), Unlimited: PointerOf(true),
			}},
		{name: "job block inherited", jobType: JobTypeBatch,
			jobLevel: &ReschedulePolicy{Attempts: PointerOf(5), Interval: PointerOf(time.Hour)},
			want: &ReschedulePolicy{
				Attempts: PointerOf(5), Interval: PointerOf(time.Hour), Delay: PointerOf(5 * time.Second),
				DelayFunction: PointerOf("constant"), MaxDelay: PointerOf(time.Duration(0)), Unlimited: PointerOf(false),
			}},
		{name: "group over job over defaults", jobType: JobTypeService,
			jobLevel: &ReschedulePolicy{Attempts: PointerOf(5), Interval: PointerOf(time.Hour), Unlimited: PointerOf(false), Delay: PointerOf(time.Minute)},
			group:    &ReschedulePolicy{Attempts: PointerOf(2)},
			want: &ReschedulePolicy{
				Attempts: PointerOf(2), Interval: PointerOf(time.Hour), Delay: PointerOf(time.Minute),
				DelayFunction: PointerOf("exponential"), MaxDelay: PointerOf(time.Hour), Unlimited: PointerOf(false),
			}},
		{name: "system job block is kept for validation to reject", jobType: JobTypeSystem,
			jobLevel: &ReschedulePolicy{Attempts: PointerOf(1)},
			want: &ReschedulePolicy{
				Attempts: PointerOf(1), Interval: PointerOf(time.Duration(0)), Delay: PointerOf(time.Duration(0)),
				DelayFunction: PointerOf(""), MaxDelay: PointerOf(time.Duration(0)), Unlimited: PointerOf(false),
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job := &Job{ID: PointerOf("j"), Type: PointerOf(c.jobType), Reschedule: c.jobLevel,
				TaskGroups: []*TaskGroup{{Name: PointerOf("g"), ReschedulePolicy: c.group}}}
			job.Canonicalize()
			if got := job.TaskGroups[0].ReschedulePolicy; !reflect.DeepEqual(got, c.want) {
				t.Fatalf("policy %s, want %s", show(got), show(c.want))
			}
			job.Canonicalize()
			if got := job.TaskGroups[0].ReschedulePolicy; !reflect.DeepEqual(got, c.want) {
				t.Fatalf("second Canonicalize changed the policy to %s", show(got))
			}
			if c.jobLevel != nil && job.TaskGroups[0].ReschedulePolicy == c.jobLevel {
				t.Fatal("the group aliases the job's policy")
			}
		})
	}
}

// show renders a policy with its pointers followed, for failure messages.
func show(r *ReschedulePolicy) string {
	if r == nil {
		return "<nil>"
	}
	return fmt.Sprintf("{attempts=%s interval=%s delay=%s fn=%s max=%s unlimited=%s}",
		val(r.Attempts), val(r.Interval), val(r.Delay), val(r.DelayFunction), val(r.MaxDelay), val(r.Unlimited))
}

func val[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestCanonicalizeCompletions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                            string
		count, completions, parallelism *int
		wantCount, wantParallelism      *int
	}{
		{name: "no completions leaves parallelism unset", wantCount: PointerOf(1)},
		{name: "completions alone run one at a time", completions: PointerOf(5), wantCount: PointerOf(1), wantParallelism: PointerOf(1)},
		{name: "count becomes parallelism", count: PointerOf(3), completions: PointerOf(5), wantCount: PointerOf(3), wantParallelism: PointerOf(3)},
		{name: "parallelism becomes count", completions: PointerOf(5), parallelism: PointerOf(2), wantCount: PointerOf(2), wantParallelism: PointerOf(2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := &TaskGroup{Name: PointerOf("g"), Count: c.count, Completions: c.completions, Parallelism: c.parallelism}
			job := &Job{ID: PointerOf("j"), Type: PointerOf(JobTypeBatch), TaskGroups: []*TaskGroup{tg}}
			job.Canonicalize()
			if !reflect.DeepEqual(tg.Count, c.wantCount) || !reflect.DeepEqual(tg.Parallelism, c.wantParallelism) {
				t.Fatalf("count %v parallelism %v, want %v %v", tg.Count, tg.Parallelism, c.wantCount, c.wantParallelism)
			}
		})
	}
}
