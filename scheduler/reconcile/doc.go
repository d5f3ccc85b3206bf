// Package reconcile decides what must change for a job: given the job as
// registered and every allocation it has, which allocations to place,
// which to stop, which to update in place and which failed ones to retry
// later. It is a pure function of its Input, with the clock passed in, so
// each rule can be tested on its own and a decision replayed.
//
// Where the allocations go is not its concern: the scheduler hands the
// placements to the feasible package and writes both into a plan.
//
// The rules, per task group:
//
//   - Allocations the server already stopped are history; their name
//     indexes are free again.
//   - Running allocations on a node that is down or gone are lost: they
//     are stopped with client status "lost" and replaced under the same name.
//   - A batch allocation that completed is done and never replaced; a
//     service allocation that completed is replaced.
//   - A failed allocation is replaced under the same name when its group's
//     reschedule policy allows it (attempts within interval, counted from
//     the allocation's RescheduleTracker) and its delay (constant,
//     exponential or fibonacci, capped by max_delay) has passed; if the
//     delay has not passed, the scheduler creates a follow-up evaluation
//     for that time. The replacement carries the tracker on, and the nodes
//     the chain failed on are penalised when placing it.
//   - A batch group with completions treats name indexes 0..completions-1
//     as units of work: each is done once one of its allocations completed
//     (or failed past its policy), and at most parallelism run at a time.
//   - Beyond the group's count, the highest name indexes are stopped; below
//     it, the lowest free indexes are placed.
//   - An allocation of an older job version is updated in place when only
//     counts or meta changed, and otherwise stopped and replaced.
//   - A service group with an update block rolls changes out through a
//     deployment (deployment.go); allocations updated in place join it
//     with no health, so the deployment counts them once judged again.
package reconcile
