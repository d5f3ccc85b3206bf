package restarts

import (
	"errors"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func noJitter(time.Duration) time.Duration { return 0 }

func TestTracker_Next(t *testing.T) {
	t.Parallel()
	fail := Outcome{}
	ok := Outcome{Successful: true}
	startErr := Outcome{StartErr: errors.New("exec: not found")}
	policy := func(attempts int, interval, delay time.Duration, mode string) *structs.RestartPolicy {
		return &structs.RestartPolicy{Attempts: attempts, Interval: interval, Delay: delay, Mode: mode}
	}
	type step struct {
		at      time.Duration // since the start of the scenario
		outcome Outcome
		want    Decision
	}
	cases := []struct {
		name    string
		policy  *structs.RestartPolicy
		jobType string
		jitter  func(time.Duration) time.Duration
		steps   []step
	}{
		{
			name:    "batch success completes without restart",
			policy:  policy(3, time.Minute, time.Second, structs.RestartPolicyModeFail),
			jobType: structs.JobTypeBatch,
			steps:   []step{{0, ok, Decision{Action: Stop}}},
		},
		{
			name:    "service success restarts",
			policy:  policy(1, time.Minute, time.Second, structs.RestartPolicyModeFail),
			jobType: structs.JobTypeService,
			steps:   []step{{0, ok, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}}},
		},
		{
			name:    "fail mode fails after attempts",
			policy:  policy(2, time.Minute, time.Second, structs.RestartPolicyModeFail),
			jobType: structs.JobTypeService,
			steps: []step{
				{0, fail, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}},
				{2 * time.Second, fail, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}},
				{4 * time.Second, fail, Decision{Action: Stop, Failed: true, Reason: `Exceeded allowed attempts 2 in interval 1m0s and mode is "fail"`}},
			},
		},
		{
			name:    "a start error counts as a failure, even in batch",
			policy:  policy(1, time.Minute, time.Second, structs.RestartPolicyModeFail),
			jobType: structs.JobTypeBatch,
			steps: []step{
				{0, startErr, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}},
				{time.Second, startErr, Decision{Action: Stop, Failed: true, Reason: `Exceeded allowed attempts 1 in interval 1m0s and mode is "fail"`}},
			},
		},
		{
			name:    "zero attempts fails at once",
			policy:  policy(0, time.Minute, time.Second, structs.RestartPolicyModeFail),
			jobType: structs.JobTypeService,
			steps:   []step{{0, fail, Decision{Action: Stop, Failed: true, Reason: ReasonNoRestarts}}},
		},
		{
			name:    "a new interval resets the attempts",
			policy:  policy(1, time.Minute, time.Second, structs.RestartPolicyModeFail),
			jobType: structs.JobTypeService,
			steps: []step{
				{0, fail, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}},
				{61 * time.Second, fail, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}},
				{62 * time.Second, fail, Decision{Action: Stop, Failed: true, Reason: `Exceeded allowed attempts 1 in interval 1m0s and mode is "fail"`}},
			},
		},
		{
			name:    "delay mode waits out the interval, then tries again",
			policy:  policy(1, time.Minute, time.Second, structs.RestartPolicyModeDelay),
			jobType: structs.JobTypeService,
			steps: []step{
				{0, fail, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}},
				{10 * time.Second, fail, Decision{Action: Restart, Delay: 50 * time.Second, Reason: `Exceeded allowed attempts 1 in interval 1m0s and mode is "delay"`}},
				{61 * time.Second, fail, Decision{Action: Restart, Delay: time.Second, Reason: ReasonWithinPolicy}},
			},
		},
		{
			name:    "nil policy never restarts",
			jobType: structs.JobTypeService,
			steps:   []step{{0, fail, Decision{Action: Stop, Failed: true, Reason: ReasonNoRestarts}}},
		},
		{
			name:    "jitter adds to the delay",
			policy:  policy(1, time.Minute, 8*time.Second, structs.RestartPolicyModeFail),
			jobType: structs.JobTypeService,
			jitter:  func(max time.Duration) time.Duration { return max / 2 },
			steps:   []step{{0, fail, Decision{Action: Restart, Delay: 9 * time.Second, Reason: ReasonWithinPolicy}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			jitter := tc.jitter
			if jitter == nil {
				jitter = noJitter
			}
			tr := NewTracker(tc.policy, tc.jobType, jitter)
			base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, s := range tc.steps {
				if got := tr.Next(base.Add(s.at), s.outcome); got != s.want {
					t.Fatalf("step %d: decision = %+v, want %+v", i, got, s.want)
				}
			}
		})
	}
}

func TestRandomJitterBounds(t *testing.T) {
	t.Parallel()
	for i := 0; i < 1000; i++ {
		if j := randomJitter(time.Second); j < 0 || j >= time.Second {
			t.Fatalf("jitter %v outside [0, 1s)", j)
		}
	}
	if j := randomJitter(0); j != 0 {
		t.Fatalf("jitter of zero = %v", j)
	}
}
