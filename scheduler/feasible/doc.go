// Package feasible decides where one placement of a task group may go and
// which of those places is best. It is the "filter and rank" half of the
// scheduler; the reconcile package decides how many placements are needed.
//
// The work is split in two stages so that a count-1000 job does not repeat
// per-node checks a thousand times:
//
//   - Candidates runs once per evaluation: it keeps ready, eligible,
//     non-draining nodes of the job's datacenters and node pool and counts
//     them per datacenter, as a user reading a placement failure expects.
//   - Stack.Select runs once per placement. It walks the shuffled candidates
//     from where the previous placement stopped, filters each node through a
//     chain of checkers (drivers, constraints, host volumes,
//     distinct_property, distinct_hosts), checks that the group's resources and ports fit next
//     to what is already on the node and what the plan being built adds or
//     removes, scores the fitting nodes (the mean of bin-packing, a job
//     anti-affinity term, affinity and spread) and, once a bounded number
//     of them has been scored, picks the best. Nodes already running other
//     work are scored too, from a pool, so jobs pack next to each other
//     on a mostly empty cluster.
//     Driver and constraint verdicts are cached per node computed class
//     (EvalEligibility), which also tells a blocked evaluation which
//     classes could ever host it.
//   - Stack.SelectPreempting runs only when Select found no room and the
//     scheduler configuration lets the job's type preempt: it finds, on the
//     nodes that pass every check but resources, the smallest set of
//     lower-priority allocations whose eviction makes room (preempt.go).
//
// Every rejection is counted in a structs.AllocMetric under a readable
// reason, so "orch job status" can say "missing drivers on 2 nodes".
//
// Nothing here does I/O or reads the clock; randomness comes from the
// *rand.Rand the caller seeds, so a run can be replayed.
package feasible
