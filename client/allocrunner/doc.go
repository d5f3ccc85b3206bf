// Package allocrunner runs one allocation on the client: it builds the
// allocation directory, runs a task runner per task, derives the
// allocation's client status from its tasks' states, stops the tasks when
// the server wants the allocation stopped, enforces the group's leader and
// sibling-failure rules, and removes everything when the allocation is
// destroyed.
//
// For an allocation of a deployment it also judges the allocation's
// health (health.go, a pure function of the task states and the clock;
// health_watcher.go, the goroutine around it) and reports the verdict with
// the allocation's next update.
package allocrunner
