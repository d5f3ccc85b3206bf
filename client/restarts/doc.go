// Package restarts decides, after each exit or failed start of a task,
// whether the task runner restarts it, after what delay, or lets it die.
// It is pure: the caller passes the time and the outcome, and the jitter
// source is injected, so every decision of a restart policy can be
// table-tested without a clock.
package restarts
