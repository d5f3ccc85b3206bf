// Package rawexec is the raw_exec task driver: it runs a task's command
// directly on the host as a child of the driver plugin process, with no
// isolation beyond its own process group (so stopping a task reaches every
// process it spawned) and an optional user switch when the agent is root.
//
// The plugin process owns each task's stdout and stderr pipes and writes
// them to rotated files itself (drivers/sdk/logrotate); there is no helper
// process per task. Resource usage is read from /proc for all members of
// the task's process group. A task that leaves its process group (setsid,
// setpgid) escapes both stop and stats, the price of having no cgroups.
package rawexec
