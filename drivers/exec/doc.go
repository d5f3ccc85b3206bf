// Package exec is the exec task driver: it runs a task's command isolated
// from the host, as Nomad's exec driver does, but builds the isolation
// from bind mounts in milliseconds instead of copying a chroot.
//
// StartTask re-executes the orch binary as a shim (MaybeRunShim) in new
// PID, mount, UTS and IPC namespaces. The driver first moves the shim into
// the task's cgroup (v2, or v1's memory, cpu and cpuacct hierarchies, below
// an "orch" cgroup of the plugin's own), then sends it the task spec over
// a pipe. Inside its mount namespace the shim mounts a tmpfs root with
// read-only binds of the chroot paths (/bin, /etc, /lib, /lib64, /sbin,
// /usr by default), the allocation's shared directory at /alloc, the
// task's local/ and secrets/ at /local and /secrets, a /proc of the new
// PID namespace, a minimal /dev and a tmpfs /tmp; pivots into it, sets the
// hostname, switches to the task's user (default nobody) and execve's the
// command. The task is then init of its PID namespace and no orch process
// stays behind for it; a setup error travels back over a second pipe and
// fails StartTask with its message.
//
// Stopping signals the task's init and, after the timeout, kills it, which
// makes the kernel kill every process of the namespace. Stats, limits and
// out-of-memory kills come from the task's cgroup. Output goes through
// FIFOs into the rotated log files (drivers/sdk/logfifo), so a restarted
// plugin recovers a task, its cgroup and its output by what the task
// handle records.
package exec
