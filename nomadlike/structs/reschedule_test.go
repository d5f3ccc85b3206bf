package structs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestReschedulePolicyValidate(t *testing.T) {
	t.Parallel()
	s, m, h := time.Second, time.Minute, time.Hour
	cases := []struct {
		name    string
		jobType string
		policy  *structs.ReschedulePolicy
		want    []string
	}{
		{"service default", "service", &structs.ReschedulePolicy{Unlimited: true, Delay: 30 * s, DelayFunction: "exponential", MaxDelay: h}, nil},
		{"batch default", "batch", &structs.ReschedulePolicy{Attempts: 1, Interval: 24 * h, Delay: 5 * s, DelayFunction: "constant"}, nil},
		{"disabled ignores the rest", "service", &structs.ReschedulePolicy{Attempts: 0, Delay: s, DelayFunction: "bogus"}, nil},
		{"delay below 5s", "service", &structs.ReschedulePolicy{Unlimited: true, Delay: s, DelayFunction: "constant"},
			[]string{"ReschedulePolicy.Delay: 1s is below the minimum of 5s"}},
		{"unknown delay function", "service", &structs.ReschedulePolicy{Unlimited: true, Delay: 5 * s, DelayFunction: "linear"},
			[]string{`ReschedulePolicy.DelayFunction: "linear" is not a delay function: want one of constant, exponential, fibonacci`}},
		{"max delay below delay", "service", &structs.ReschedulePolicy{Unlimited: true, Delay: m, DelayFunction: "fibonacci", MaxDelay: 30 * s},
			[]string{"ReschedulePolicy.MaxDelay: 30s is below Delay (1m0s)"}},
		{"constant ignores max delay", "service", &structs.ReschedulePolicy{Unlimited: true, Delay: m, DelayFunction: "constant"}, nil},
		{"attempts with unlimited", "service", &structs.ReschedulePolicy{Attempts: 2, Interval: h, Unlimited: true, Delay: 5 * s, DelayFunction: "constant"},
			[]string{"ReschedulePolicy.Unlimited: attempts = 2 with unlimited = true is ambiguous"}},
		{"attempts without interval", "batch", &structs.ReschedulePolicy{Attempts: 2, Delay: 5 * s, DelayFunction: "constant"},
			[]string{"ReschedulePolicy.Interval: 0s is below the minimum of 15s"}},
		{"constant attempts do not fit", "batch", &structs.ReschedulePolicy{Attempts: 10, Interval: 30 * s, Delay: 5 * s, DelayFunction: "constant"},
			[]string{"ReschedulePolicy.Interval: 30s cannot hold 10 attempts with delay 5s (constant): set it to at least 50s"}},
		{"exponential attempts fit as in Nomad", "batch", &structs.ReschedulePolicy{Attempts: 3, Interval: 150 * s, Delay: 30 * s, DelayFunction: "exponential", MaxDelay: h}, nil},
		{"exponential attempts do not fit", "batch", &structs.ReschedulePolicy{Attempts: 3, Interval: m, Delay: 30 * s, DelayFunction: "exponential", MaxDelay: h},
			[]string{"cannot hold 3 attempts with delay 30s (exponential): set it to at least 2m0s"}},
		{"fibonacci past the cap", "batch", &structs.ReschedulePolicy{Attempts: 6, Interval: 30 * s, Delay: 5 * s, DelayFunction: "fibonacci", MaxDelay: 20 * s},
			[]string{"cannot hold 6 attempts with delay 5s (fibonacci): set it to at least 40s"}},
		{"system job with a policy", "system", &structs.ReschedulePolicy{Attempts: 1},
			[]string{"ReschedulePolicy: system jobs cannot have a reschedule policy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job := mock.Job()
			job.Type = c.jobType
			job.TaskGroups[0].ReschedulePolicy = c.policy
			assertProblems(t, job.Validate(), c.want)
		})
	}
}

func TestCompletionsValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                            string
		jobType                         string
		count, completions, parallelism int
		want                            []string
	}{
		{"none", "service", 1, 0, 0, nil},
		{"valid", "batch", 2, 5, 2, nil},
		{"service job", "service", 2, 5, 2, []string{`Completions: only batch jobs may set completions or parallelism, this job is "service"`}},
		{"parallelism without completions", "batch", 2, 0, 2, []string{"Completions: 0: want 1 or more"}},
		{"count differs", "batch", 3, 5, 2, []string{"Count: 3 differs from Parallelism (2)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			job := mock.Job()
			job.Type = c.jobType
			job.TaskGroups[0].ReschedulePolicy = nil
			tg := job.TaskGroups[0]
			tg.Count, tg.Completions, tg.Parallelism = c.count, c.completions, c.parallelism
			assertProblems(t, job.Validate(), c.want)
		})
	}
}

func TestRescheduleCopies(t *testing.T) {
	t.Parallel()
	tg := &structs.TaskGroup{ReschedulePolicy: &structs.ReschedulePolicy{Attempts: 1}}
	if c := tg.Copy(); c.ReschedulePolicy == tg.ReschedulePolicy {
		t.Fatal("group copy shares its reschedule policy")
	}
	a := &structs.Allocation{RescheduleTracker: &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{{PrevAllocID: "x"}}}}
	c := a.Copy()
	c.RescheduleTracker.Events[0].PrevAllocID = "y"
	if a.RescheduleTracker.Events[0].PrevAllocID != "x" {
		t.Fatal("allocation copy shares its reschedule events")
	}
}

func assertProblems(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("unexpected problems: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("valid, want %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
	if got, n := len(strings.Split(err.Error(), "\n")), len(want); got != n {
		t.Errorf("%d problems, want %d:\n%v", got, n, err)
	}
}
