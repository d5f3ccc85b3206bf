package reconcile

import (
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Policy says whether and when a failed allocation is replaced. The
// jobspec has no reschedule block yet, so DefaultPolicy supplies Nomad's
// defaults per job type.
type Policy struct {
	// Unlimited allows any number of reschedules; Attempts and Interval
	// are then ignored.
	Unlimited bool
	// Attempts reschedules are allowed within any Interval.
	Attempts int
	Interval time.Duration
	// Delay is waited after a failure before the replacement is placed;
	// with Exponential it doubles on each earlier reschedule of the same
	// allocation chain, up to MaxDelay.
	Delay       time.Duration
	Exponential bool
	MaxDelay    time.Duration
}

// DefaultPolicy returns Nomad's default reschedule policy for a job type:
// services retry forever with an exponential delay from 30s up to an hour,
// batch jobs retry once a day after 5s.
func DefaultPolicy(jobType string) Policy {
	if jobType == structs.JobTypeBatch {
		return Policy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second}
	}
	return Policy{Unlimited: true, Delay: 30 * time.Second, Exponential: true, MaxDelay: time.Hour}
}

// Next reports whether the failed allocation a may be replaced and from
// when. byID holds the job's allocations, so the chain of earlier
// replacements (PreviousAllocation links) can be walked.
func (p Policy) Next(a *structs.Allocation, byID map[string]*structs.Allocation, now time.Time) (bool, time.Time) {
	failed := failTime(a, now)
	earlier := rescheduleTimes(a, byID)
	if !p.Unlimited {
		recent := 0
		for _, t := range earlier {
			if failed.Sub(t) < p.Interval {
				recent++
			}
		}
		if recent >= p.Attempts {
			return false, time.Time{}
		}
	}
	return true, failed.Add(p.delay(len(earlier)))
}

func (p Policy) delay(previous int) time.Duration {
	d := p.Delay
	if !p.Exponential {
		return d
	}
	for range previous {
		d *= 2
		if p.MaxDelay > 0 && d >= p.MaxDelay {
			return p.MaxDelay
		}
	}
	return d
}

// rescheduleTimes lists when each earlier reschedule in a's chain happened:
// an allocation whose predecessor failed was created by a reschedule, at
// its CreateTime. Replacements of lost or updated allocations do not count.
func rescheduleTimes(a *structs.Allocation, byID map[string]*structs.Allocation) []time.Time {
	var out []time.Time
	cur := a
	// Bounded by the number of allocations, so a corrupt cycle of
	// PreviousAllocation links cannot loop forever.
	for range len(byID) {
		prev := byID[cur.PreviousAllocation]
		if cur.PreviousAllocation == "" || prev == nil {
			break
		}
		if prev.ClientStatus == structs.AllocClientStatusFailed {
			out = append(out, time.Unix(0, cur.CreateTime))
		}
		cur = prev
	}
	return out
}

// failTime is when the allocation failed: the last task's finish time,
// else its last modification, else now.
func failTime(a *structs.Allocation, now time.Time) time.Time {
	var latest time.Time
	for _, ts := range a.TaskStates {
		if ts != nil && ts.FinishedAt.After(latest) {
			latest = ts.FinishedAt
		}
	}
	if !latest.IsZero() {
		return latest
	}
	if a.ModifyTime != 0 {
		return time.Unix(0, a.ModifyTime)
	}
	return now
}
