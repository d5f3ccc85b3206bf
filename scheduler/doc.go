// Package scheduler turns an evaluation into a plan: it reads a job and its
// allocations from a consistent State snapshot, decides what must change,
// chooses nodes for new allocations and submits the result through a
// Planner. See README.md for the flow.
//
// The package is pure by design. It does no network or disk I/O, starts no
// goroutine that outlives a call, and reads time only through Config.Now;
// node order is shuffled with a seed derived from the evaluation ID. Given
// the same snapshot, evaluation and clock, Process makes the same
// decisions, so a scheduling bug seen in production can be replayed in a
// test (IDs of new allocations and evaluations are random UUIDs and are the
// only exception).
//
// The work is split by phase into sub-packages: reconcile decides how many
// allocations to place, stop or update; feasible filters and ranks nodes
// for each placement; schedtest is the in-memory harness the tests use.
package scheduler
