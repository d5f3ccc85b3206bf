package reconcile

import (
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// maxUnlimitedEvents is how many past reschedules an allocation of an
// unlimited policy carries: enough for the fibonacci delay, which needs
// the last two, and for a reader of `alloc status`, without the tracker
// growing forever.
const maxUnlimitedEvents = 5

// PolicyFor returns the reschedule policy of tg. A group stored without
// one (before the reschedule block existed, or built by a test) gets
// Nomad's default for the job type; system groups get nil.
func PolicyFor(job *structs.Job, tg *structs.TaskGroup) *structs.ReschedulePolicy {
	if tg != nil && tg.ReschedulePolicy != nil {
		return tg.ReschedulePolicy
	}
	return DefaultPolicy(job.Type)
}

// DefaultPolicy returns Nomad's default reschedule policy for a job type:
// services retry forever with an exponential delay from 30s up to an hour,
// batch jobs retry once a day after 5s; other types do not reschedule.
func DefaultPolicy(jobType string) *structs.ReschedulePolicy {
	switch jobType {
	case structs.JobTypeService:
		return &structs.ReschedulePolicy{
			Unlimited: true, Delay: 30 * time.Second,
			DelayFunction: structs.RescheduleDelayExponential, MaxDelay: time.Hour,
		}
	case structs.JobTypeBatch:
		return &structs.ReschedulePolicy{
			Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second,
			DelayFunction: structs.RescheduleDelayConstant,
		}
	}
	return nil
}

// Eligible reports whether the failed allocation a may still be replaced
// under p: the policy is enabled, and fewer than Attempts reschedules of
// its chain happened within Interval before it failed.
func Eligible(p *structs.ReschedulePolicy, a *structs.Allocation, failed time.Time) bool {
	if !p.Enabled() {
		return false
	}
	if p.Unlimited {
		return true
	}
	recent := 0
	if a.RescheduleTracker != nil {
		for _, e := range a.RescheduleTracker.Events {
			if e != nil && failed.Sub(time.Unix(0, e.RescheduleTime)) < p.Interval {
				recent++
			}
		}
	}
	return recent < p.Attempts
}

// NextDelay is how long after its failure a is replaced, following the
// delays its chain already waited: constant always Delay; exponential
// doubles the last delay; fibonacci adds the last two. Growing delays
// stop at MaxDelay, and start over from Delay once an allocation ran
// longer than the capped delay: a chain that was healthy for a while is
// not punished for its old failures, as in Nomad.
func NextDelay(p *structs.ReschedulePolicy, a *structs.Allocation, failed time.Time) time.Duration {
	var events []*structs.RescheduleEvent
	if a.RescheduleTracker != nil {
		events = a.RescheduleTracker.Events
	}
	n := len(events)
	if n == 0 || events[n-1] == nil {
		return p.Delay
	}
	last := events[n-1]
	d := p.Delay
	switch p.DelayFunction {
	case structs.RescheduleDelayExponential:
		d = last.Delay * 2
	case structs.RescheduleDelayFibonacci:
		if n >= 2 && events[n-2] != nil {
			prev := events[n-2].Delay
			if prev == p.MaxDelay && last.Delay == p.Delay {
				// The series was reset after the last reschedule.
				d = last.Delay
			} else {
				d = last.Delay + prev
			}
		}
	default:
		return p.Delay
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
		if failed.Sub(time.Unix(0, last.RescheduleTime)) > d {
			d = p.Delay
		}
	}
	return d
}

// nextTracker is the tracker of the replacement of a: a's events still
// relevant to p, plus this reschedule.
func nextTracker(p *structs.ReschedulePolicy, a *structs.Allocation, now time.Time, delay time.Duration) *structs.RescheduleTracker {
	var kept []*structs.RescheduleEvent
	if a.RescheduleTracker != nil {
		for _, e := range a.RescheduleTracker.Events {
			if e == nil {
				continue
			}
			if p.Unlimited || now.Sub(time.Unix(0, e.RescheduleTime)) <= p.Interval {
				ev := *e
				kept = append(kept, &ev)
			}
		}
	}
	if p.Unlimited && len(kept) >= maxUnlimitedEvents {
		kept = kept[len(kept)-maxUnlimitedEvents+1:]
	}
	kept = append(kept, &structs.RescheduleEvent{
		RescheduleTime: now.UnixNano(), PrevAllocID: a.ID, PrevNodeID: a.NodeID, Delay: delay,
	})
	return &structs.RescheduleTracker{Events: kept}
}

// UnhealthyEligible reports whether an allocation of job judged unhealthy
// in its deployment may still be replaced under its group's reschedule
// policy. The deployment watcher asks before marking it for rescheduling;
// when it may not, the deployment fails at once, as in Nomad.
func UnhealthyEligible(job *structs.Job, a *structs.Allocation, now time.Time) bool {
	p := PolicyFor(job, job.LookupTaskGroup(a.TaskGroup))
	return p != nil && Eligible(p, a, rescheduleFrom(a, now))
}

// rescheduleFrom is the time a reschedule delay counts from: when the
// allocation failed or, for one still running that the deployment
// watcher marked for rescheduling, when it was judged unhealthy.
// Unlike ModifyTime, that stays put while the allocation waits.
func rescheduleFrom(a *structs.Allocation, now time.Time) time.Time {
	if !a.ClientTerminalStatus() && a.DeploymentStatus.IsUnhealthy() && !a.DeploymentStatus.Timestamp.IsZero() {
		return a.DeploymentStatus.Timestamp
	}
	return failTime(a, now)
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
