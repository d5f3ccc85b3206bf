package structs

import "time"

// RPCs that change whether a node takes new work. Both go through the
// leader and Raft like every write.
const (
	NodeUpdateEligibilityRPC = "Node.UpdateEligibility"
	NodeUpdateDrainRPC       = "Node.UpdateDrain"
)

// EvalTriggerNodeDrain marks the evaluations the drainer creates to
// replace the allocations it stopped.
const EvalTriggerNodeDrain = "node-drain"

// DefaultMigrateMaxParallel is how many allocations of one group a drain
// migrates at a time when the group says nothing.
const DefaultMigrateMaxParallel = 1

// DrainSpec is what an operator asks of a drain.
type DrainSpec struct {
	// Deadline bounds the drain: once it passes, every remaining
	// allocation is stopped at once. Zero means no deadline; negative
	// forces the drain immediately.
	Deadline time.Duration
	// IgnoreSystemJobs leaves system and sysbatch allocations running.
	IgnoreSystemJobs bool
}

// DrainStrategy is the drain in force on a node.
type DrainStrategy struct {
	DrainSpec
	// ForceDeadline is when the drain stops waiting; zero without a
	// deadline.
	ForceDeadline time.Time
	// StartedAt is when the drain was enabled.
	StartedAt time.Time
}

// NewDrainStrategy fixes the deadline of spec relative to now.
func NewDrainStrategy(spec DrainSpec, now time.Time) *DrainStrategy {
	d := &DrainStrategy{DrainSpec: spec, StartedAt: now}
	if spec.Deadline > 0 {
		d.ForceDeadline = now.Add(spec.Deadline)
	}
	return d
}

// DeadlineReached reports whether the drain must stop everything left.
func (d *DrainStrategy) DeadlineReached(now time.Time) bool {
	if d == nil {
		return false
	}
	if d.Deadline < 0 {
		return true
	}
	return d.Deadline > 0 && !now.Before(d.ForceDeadline)
}

// Copy returns a copy of the strategy; it holds no references.
func (d *DrainStrategy) Copy() *DrainStrategy {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

// NodeUpdateDrainRequest starts a drain (DrainStrategy set) or ends one
// (nil). Ending it with MarkEligible makes the node take work again; the
// drainer ends a finished drain without it, leaving the node ineligible.
// It is also the body of NodeUpdateDrainRequestType.
type NodeUpdateDrainRequest struct {
	NodeID        string
	DrainStrategy *DrainStrategy
	MarkEligible  bool
	UpdatedAt     int64
	WriteRequest
}
