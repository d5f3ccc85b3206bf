// Package autoscale decides how many allocations an autoscaled task group
// should run. It is the pure core of orch's built-in autoscaler: Decide
// takes the current count, the metric readings of each check, the policy,
// the clock and the group's recent history, and returns the new count with
// a reason. It does no I/O and reads no wall clock, so a decision can be
// replayed from a recorded input; the leader loop in package nomadlike
// gathers the inputs (the sample window, Prometheus queries, scaling
// events from Raft) and applies the result through Job.Scale.
//
// The rule is Kubernetes' target-value rule as the Nomad autoscaler's
// target-value strategy also applies it:
//
//	desired = ceil(current × metric / target)
//
// with no change while |metric/target − 1| ≤ Tolerance. Allocations that
// report no sample (not yet healthy, just placed) are counted as running
// exactly at the target, so they damp a change instead of driving one.
// Several checks combine by taking the largest desired count. The result
// is then bounded by min/max, held during the cooldown after the last
// action, held on the way down by the stabilisation window (the highest
// recommendation seen in it wins) and limited per period in each
// direction.
package autoscale
