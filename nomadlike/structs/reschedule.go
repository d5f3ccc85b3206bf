package structs

import (
	"fmt"
	"slices"
	"time"
)

// Delay functions a ReschedulePolicy may name.
const (
	RescheduleDelayConstant    = "constant"
	RescheduleDelayExponential = "exponential"
	RescheduleDelayFibonacci   = "fibonacci"
)

// RescheduleDelayFunctions lists the valid DelayFunction values, in the
// order error messages name them.
var RescheduleDelayFunctions = []string{RescheduleDelayConstant, RescheduleDelayExponential, RescheduleDelayFibonacci}

const (
	// ReschedulePolicyMinDelay is Nomad's floor for a reschedule delay: a
	// failing allocation must not be replaced in a tight loop.
	ReschedulePolicyMinDelay = 5 * time.Second
	// ReschedulePolicyMinInterval is Nomad's floor for the window limited
	// attempts are counted in.
	ReschedulePolicyMinInterval = 15 * time.Second
)

// EvalTriggerAllocCompleted marks the evaluation created when an
// allocation of a group with completions finishes, so the next one can be
// placed (an orch extension: Nomad has no completions).
const EvalTriggerAllocCompleted = "alloc-completed"

// ReschedulePolicy says whether and when a failed allocation is replaced
// on another node: at most Attempts times within Interval (or without
// limit when Unlimited), each Delay after the failure, the delay growing by
// DelayFunction up to MaxDelay.
type ReschedulePolicy struct {
	Attempts      int
	Interval      time.Duration
	Delay         time.Duration
	DelayFunction string
	MaxDelay      time.Duration
	Unlimited     bool
}

// Enabled reports whether the policy allows any reschedule at all.
func (r *ReschedulePolicy) Enabled() bool {
	return r != nil && (r.Attempts > 0 || r.Unlimited)
}

// Copy returns a copy; the policy holds no references.
func (r *ReschedulePolicy) Copy() *ReschedulePolicy {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// validate applies Nomad's rules. A disabled policy (attempts 0, not
// unlimited) is valid whatever else it says, since nothing of it is used.
func (r *ReschedulePolicy) validate(p *problems, path string) {
	if r.Attempts < 0 {
		p.addf(path+".Attempts", "%d is negative", r.Attempts)
	}
	if !r.Enabled() {
		return
	}
	if r.Attempts > 0 && r.Unlimited {
		p.addf(path+".Unlimited", "attempts = %d with unlimited = true is ambiguous: set attempts to 0 or unlimited to false", r.Attempts)
	}
	delayOK := true
	if r.Delay < ReschedulePolicyMinDelay {
		p.addf(path+".Delay", "%s is below the minimum of %s", r.Delay, ReschedulePolicyMinDelay)
		delayOK = false
	}
	if !slices.Contains(RescheduleDelayFunctions, r.DelayFunction) {
		p.addf(path+".DelayFunction", "%q is not a delay function: want one of constant, exponential, fibonacci", r.DelayFunction)
		return
	}
	if r.DelayFunction != RescheduleDelayConstant {
		if r.MaxDelay < ReschedulePolicyMinDelay {
			p.addf(path+".MaxDelay", "%s is below the minimum of %s", r.MaxDelay, ReschedulePolicyMinDelay)
			delayOK = false
		} else if r.MaxDelay < r.Delay {
			p.addf(path+".MaxDelay", "%s is below Delay (%s)", r.MaxDelay, r.Delay)
			delayOK = false
		}
	}
	if r.Unlimited {
		return
	}
	if r.Interval < ReschedulePolicyMinInterval {
		p.addf(path+".Interval", "%s is below the minimum of %s", r.Interval, ReschedulePolicyMinInterval)
		return
	}
	if !delayOK {
		return
	}
	if ok, need := r.viable(); !ok {
		p.addf(path+".Interval", "%s cannot hold %d attempts with delay %s (%s): set it to at least %s",
			r.Interval, r.Attempts, r.Delay, r.DelayFunction, need.Round(time.Second))
	}
}

// viable reports whether Attempts reschedules fit in Interval, and the
// interval that would be needed, judged as Nomad judges it so that a job
// Nomad accepts is accepted here: constant delays add up; an exponential
// series needs its last delay, plus MaxDelay for every attempt past the
// cap; a fibonacci series needs its last term, growing by MaxDelay per
// attempt past the cap.
func (r *ReschedulePolicy) viable() (bool, time.Duration) {
	switch r.DelayFunction {
	case RescheduleDelayExponential:
		var need time.Duration
		d := r.Delay
		for range r.Attempts {
			if d > r.MaxDelay {
				need += r.MaxDelay
			} else {
				need = d
				d *= 2
			}
		}
		return need < r.Interval, need
	case RescheduleDelayFibonacci:
		prev, cur := r.Delay, r.Delay
		capped := false
		for i := 2; i < r.Attempts; i++ {
			next := prev + cur
			if capped {
				next = cur + r.MaxDelay
			} else if next > r.MaxDelay {
				next, capped = r.MaxDelay, true
			}
			prev, cur = cur, next
		}
		return r.Interval >= cur, cur
	}
	need := time.Duration(r.Attempts) * r.Delay
	return r.Interval >= need, need
}

// RescheduleTracker is the history of reschedules that led to an
// allocation, carried from each allocation to its replacement so the
// policy can be applied after the earlier allocations are gone.
type RescheduleTracker struct {
	Events []*RescheduleEvent
}

// RescheduleEvent is one reschedule: when it was decided, from which
// allocation and node, and the delay that was waited.
type RescheduleEvent struct {
	RescheduleTime int64
	PrevAllocID    string
	PrevNodeID     string
	Delay          time.Duration
}

// Copy returns a deep copy of the tracker.
func (t *RescheduleTracker) Copy() *RescheduleTracker {
	if t == nil {
		return nil
	}
	c := &RescheduleTracker{Events: make([]*RescheduleEvent, len(t.Events))}
	for i, e := range t.Events {
		if e != nil {
			ev := *e
			c.Events[i] = &ev
		}
	}
	return c
}

// validateCompletions checks the orch extension that runs a batch group to
// a number of successful completions, at most Parallelism at a time; Count
// is then the parallelism.
func (tg *TaskGroup) validateCompletions(p *problems, path, jobType string) {
	if tg.Completions == 0 && tg.Parallelism == 0 {
		return
	}
	if jobType != JobTypeBatch {
		p.addf(path+".Completions", "only batch jobs may set completions or parallelism, this job is %q", jobType)
	}
	if tg.Completions < 1 {
		p.addf(path+".Completions", "%d: want 1 or more when parallelism is set", tg.Completions)
	}
	if tg.Parallelism < 1 {
		p.addf(path+".Parallelism", "%d: want 1 or more", tg.Parallelism)
	}
	if tg.Count != tg.Parallelism {
		p.addf(path+".Count", "%d differs from Parallelism (%d): a group with completions runs parallelism allocations at a time, leave count unset", tg.Count, tg.Parallelism)
	}
}

// String renders the event for logs.
func (e *RescheduleEvent) String() string {
	return fmt.Sprintf("rescheduled from %s on %s after %s", e.PrevAllocID, e.PrevNodeID, e.Delay)
}

// validateReschedule checks the group's reschedule policy and completions
// against the job type: system and sysbatch groups run on every node, so
// there is nowhere else to reschedule them to.
func (tg *TaskGroup) validateReschedule(p *problems, index int, jobType string) {
	path := fmt.Sprintf("TaskGroups[%d]", index)
	if tg.Name != "" {
		path = fmt.Sprintf("TaskGroups[%q]", tg.Name)
	}
	if tg.ReschedulePolicy != nil {
		if jobType == JobTypeSystem || jobType == JobTypeSysBatch {
			p.addf(path+".ReschedulePolicy", "%s jobs cannot have a reschedule policy: they run on every node", jobType)
		} else {
			tg.ReschedulePolicy.validate(p, path+".ReschedulePolicy")
		}
	}
	tg.validateCompletions(p, path, jobType)
}
