// Package serviceregistration registers an allocation's service instances
// in the servers' catalog and keeps their health current.
//
// One Hook runs per allocation. The client feeds it every new view of the
// allocation (task states, server desired status); the hook
//
//   - registers a task's services once the task runs (a group's once any
//     main task runs), each instance at the node's address and the host
//     port of its port label, with the status its checks start in;
//   - runs every check on its interval (client/checks) and sends the
//     instances whose status changed to the servers in one
//     ServiceRegistration.Upsert;
//   - restarts a task whose check failed check_restart.limit times in a
//     row after the grace period, through the task runner's restart path,
//     which counts against the restart policy as Nomad does;
//   - deregisters an owner's instances when the alloc runner's stop
//     sequence asks (Deregister: the group's, then each task's, before
//     their shutdown_delay and kill), never registering them again, and
//     whatever is left once the allocation has finished; it keeps them
//     when the agent only detaches (a restarted agent registers them
//     again, which is idempotent).
//
// The servers also drop an allocation's instances when it turns terminal
// or its node goes down, so the catalog heals even when a client is gone.
package serviceregistration
