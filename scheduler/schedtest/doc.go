// Package schedtest is the scheduler's test harness: an in-memory State
// that can be snapshotted and changed, and a Planner that records every
// plan and evaluation and commits plans into that State, so a test can run
// several evaluations in a row and see each one build on the last.
//
// It keeps objects in plain maps rather than the server's go-memdb store
// so the scheduler's tests depend on nothing but the scheduler's contract.
package schedtest
