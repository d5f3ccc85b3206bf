package api

import "time"

// Delay functions of a reschedule block.
const (
	RescheduleDelayConstant    = "constant"
	RescheduleDelayExponential = "exponential"
	RescheduleDelayFibonacci   = "fibonacci"
)

// ReschedulePolicy is a reschedule block: how often and how soon a failed
// allocation is replaced on another node.
type ReschedulePolicy struct {
	// Attempts is how many reschedules may happen within Interval.
	Attempts *int
	Interval *time.Duration
	// Delay is waited after a failure; DelayFunction ("constant",
	// "exponential", "fibonacci") grows it on later reschedules of the
	// same allocation, up to MaxDelay.
	Delay         *time.Duration
	DelayFunction *string
	MaxDelay      *time.Duration
	// Unlimited lifts the Attempts limit.
	Unlimited *bool
}

// RescheduleTracker is the history of reschedules that led to an
// allocation.
type RescheduleTracker struct {
	Events []*RescheduleEvent
}

// RescheduleEvent is one reschedule of an allocation chain.
type RescheduleEvent struct {
	// RescheduleTime is when the replacement was decided, in Unix
	// nanoseconds.
	RescheduleTime int64
	PrevAllocID    string
	PrevNodeID     string
	Delay          time.Duration
}

// DefaultReschedulePolicy returns Nomad's reschedule defaults for a job
// type: services retry forever with a delay growing exponentially from 30s
// to an hour; batch jobs retry once a day after 5s. Other types (system,
// sysbatch) do not reschedule; their all-zero policy only serves to fill a
// block the user set, which validation then rejects.
func DefaultReschedulePolicy(jobType string) *ReschedulePolicy {
	switch jobType {
	case JobTypeService:
		return &ReschedulePolicy{
			Attempts: PointerOf(0), Interval: PointerOf(time.Duration(0)),
			Delay: PointerOf(30 * time.Second), DelayFunction: PointerOf(RescheduleDelayExponential),
			MaxDelay: PointerOf(time.Hour), Unlimited: PointerOf(true),
		}
	case JobTypeBatch:
		return &ReschedulePolicy{
			Attempts: PointerOf(1), Interval: PointerOf(24 * time.Hour),
			Delay: PointerOf(5 * time.Second), DelayFunction: PointerOf(RescheduleDelayConstant),
			MaxDelay: PointerOf(time.Duration(0)), Unlimited: PointerOf(false),
		}
	}
	return &ReschedulePolicy{
		Attempts: PointerOf(0), Interval: PointerOf(time.Duration(0)),
		Delay: PointerOf(time.Duration(0)), DelayFunction: PointerOf(""),
		MaxDelay: PointerOf(time.Duration(0)), Unlimited: PointerOf(false),
	}
}

// Merge overwrites r's fields with the ones set in other.
func (r *ReschedulePolicy) Merge(other *ReschedulePolicy) {
	if r == nil || other == nil {
		return
	}
	mergeField(&r.Attempts, other.Attempts)
	mergeField(&r.Interval, other.Interval)
	mergeField(&r.Delay, other.Delay)
	mergeField(&r.DelayFunction, other.DelayFunction)
	mergeField(&r.MaxDelay, other.MaxDelay)
	mergeField(&r.Unlimited, other.Unlimited)
}

// Copy returns a deep copy.
func (r *ReschedulePolicy) Copy() *ReschedulePolicy {
	if r == nil {
		return nil
	}
	c := &ReschedulePolicy{}
	c.Merge(r)
	return c
}

// Canonicalize fills the fields the block left unset with the defaults of
// jobType.
func (r *ReschedulePolicy) Canonicalize(jobType string) {
	if r == nil {
		return
	}
	merged := DefaultReschedulePolicy(jobType)
	merged.Merge(r)
	*r = *merged
}

// canonicalizeReschedule gives the group its effective policy as Nomad
// does: the group's block over the job's, then the type's defaults under
// both. System and sysbatch groups without a block get none.
func (g *TaskGroup) canonicalizeReschedule(job *Job, jobType string) {
	var jobLevel *ReschedulePolicy
	if job != nil {
		jobLevel = job.Reschedule
	}
	switch {
	case jobLevel != nil && g.ReschedulePolicy != nil:
		merged := jobLevel.Copy()
		merged.Merge(g.ReschedulePolicy)
		g.ReschedulePolicy = merged
	case jobLevel != nil:
		g.ReschedulePolicy = jobLevel.Copy()
	}
	if g.ReschedulePolicy == nil && jobType != JobTypeSystem && jobType != JobTypeSysBatch {
		g.ReschedulePolicy = DefaultReschedulePolicy(jobType)
	}
	g.ReschedulePolicy.Canonicalize(jobType)
}

// canonicalizeCompletions settles count and parallelism of a group with
// completions: parallelism defaults to the count the user set, else 1, and
// count follows parallelism. Must run before count gets its default.
func (g *TaskGroup) canonicalizeCompletions() {
	if g.Completions == nil {
		return
	}
	if g.Parallelism == nil {
		p := 1
		if g.Count != nil {
			p = *g.Count
		}
		g.Parallelism = &p
	}
	if g.Count == nil {
		g.Count = PointerOf(*g.Parallelism)
	}
}

// mergeField sets *dst to a copy of *src when src is set.
func mergeField[T any](dst **T, src *T) {
	if src != nil {
		v := *src
		*dst = &v
	}
}
