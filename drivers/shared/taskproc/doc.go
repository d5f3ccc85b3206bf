// Package taskproc holds what the drivers that run host processes (raw_exec
// and exec) share: reading /proc to recognise a task's process across a
// plugin restart, signal names, the task environment, the pipes that feed
// a task's output into rotated log files, and the bookkeeping of how a
// task ended. The drivers differ in how they start and contain a process;
// everything here is the same for both and is kept in one place so their
// behaviour cannot drift apart.
package taskproc
