package restarts

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// jitterFraction bounds the random delay added to each restart so that many
// tasks failing together do not restart in lockstep.
const jitterFraction = 0.25

// Action is what the task runner must do next.
type Action int

const (
	// Restart the task after Decision.Delay.
	Restart Action = iota
	// Stop: the task is dead; Decision.Failed says whether it failed.
	Stop
)

// Outcome is how one run of a task ended.
type Outcome struct {
	// StartErr is set when the driver failed to start the task.
	StartErr error
	// Successful is a clean exit (code 0, no signal).
	Successful bool
}

// Decision tells the task runner what to do with a task that ended.
type Decision struct {
	Action Action
	Delay  time.Duration
	// Failed marks the task, and so the allocation, failed (only with Stop).
	Failed bool
	// Reason is shown in the Restarting or Not Restarting event; empty when
	// a batch task simply completed.
	Reason string
}

// Reasons, worded as Nomad shows them so operators recognise them.
const (
	ReasonWithinPolicy = "Restart within policy"
	ReasonNoRestarts   = "Policy allows no restarts"
	ReasonDelay        = "Exceeded allowed attempts %d in interval %v and mode is \"delay\""
	ReasonFail         = "Exceeded allowed attempts %d in interval %v and mode is \"fail\""
)

// Tracker applies one task's restart policy across its runs. It is not safe
// for concurrent use; each task runner owns one.
type Tracker struct {
	policy structs.RestartPolicy
	batch  bool
	jitter func(max time.Duration) time.Duration

	// count is the restarts used in the window that began at windowStart.
	count       int
	windowStart time.Time
}

// NewTracker returns a tracker for a task of jobType under policy. jitter
// returns a random duration in [0, max); nil uses math/rand.
func NewTracker(policy *structs.RestartPolicy, jobType string, jitter func(max time.Duration) time.Duration) *Tracker {
	if jitter == nil {
		jitter = randomJitter
	}
	t := &Tracker{batch: jobType == structs.JobTypeBatch || jobType == structs.JobTypeSysBatch, jitter: jitter}
	if policy != nil {
		t.policy = *policy
	} else {
		t.policy.Mode = structs.RestartPolicyModeFail
	}
	return t
}

func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

// Next decides what follows outcome at now.
func (t *Tracker) Next(now time.Time, outcome Outcome) Decision {
	// A batch task that did its work is finished; only failures restart.
	if t.batch && outcome.StartErr == nil && outcome.Successful {
		return Decision{Action: Stop}
	}
	if t.windowStart.IsZero() || now.Sub(t.windowStart) >= t.policy.Interval {
		t.windowStart, t.count = now, 0
	}
	t.count++
	if t.count <= t.policy.Attempts {
		return Decision{Action: Restart, Delay: t.withJitter(t.policy.Delay), Reason: ReasonWithinPolicy}
	}
	if t.policy.Mode == structs.RestartPolicyModeDelay {
		// Wait out the rest of the window; the next attempt opens a new one.
		wait := t.windowStart.Add(t.policy.Interval).Sub(now)
		t.windowStart, t.count = time.Time{}, 0
		return Decision{
			Action: Restart,
			Delay:  t.withJitter(max(wait, t.policy.Delay)),
			Reason: fmt.Sprintf(ReasonDelay, t.policy.Attempts, t.policy.Interval),
		}
	}
	if t.policy.Attempts == 0 {
		return Decision{Action: Stop, Failed: true, Reason: ReasonNoRestarts}
	}
	return Decision{Action: Stop, Failed: true, Reason: fmt.Sprintf(ReasonFail, t.policy.Attempts, t.policy.Interval)}
}

func (t *Tracker) withJitter(d time.Duration) time.Duration {
	return d + t.jitter(time.Duration(float64(d)*jitterFraction))
}
