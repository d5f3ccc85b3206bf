// Package taskrunner runs one task of an allocation through its whole life:
// it builds the task's environment, interpolates its config, starts it
// through the driver, waits for it, applies the restart policy, and stops
// it when asked. Every step is recorded as a task event with Nomad's type
// and message, and every change of the task's state is reported to the
// alloc runner, which aggregates the allocation's status.
package taskrunner
