// Package logfifo carries a task's stdout and stderr through named pipes
// (FIFOs) in the allocation's log directory, so that the task's output
// survives the death of the driver plugin that reads it.
//
// With an anonymous pipe the plugin holds the only read end: when the
// plugin dies, the task's next write raises SIGPIPE and kills it. Here the
// task's stdout is the FIFO opened read-write, which makes the task a
// reader of its own pipe as well as its writer: a write never finds the
// pipe without readers, so it never raises SIGPIPE. While no plugin reads,
// output waits in the pipe's kernel buffer (the task blocks once that is
// full); a restarted plugin opens the FIFO by name with Open and carries
// on from the first unread byte. No helper process per task is needed.
//
// The plugin's read end reports EOF once no process holds a write end,
// which is when the task and everything it spawned that kept its stdout
// have exited, exactly as with an anonymous pipe.
//
// Drivers that run host processes (raw_exec, exec) share this package; a
// task must not read its own stdout, or it would consume its output.
package logfifo
