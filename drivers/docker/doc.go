// Package docker is the docker task driver: it runs each task as a
// container of the local Docker engine, through the engine's API
// (github.com/docker/docker/client, version negotiated so older engines
// work), as one plugin process serving every docker task of a client.
//
// A task's image is used as present on the engine, pulled only when
// missing or when force_pull is set; pulls are bounded in time. The
// container gets the task's env, memory limit and CPU shares, the ports
// its group was assigned (published on the host ports the scheduler
// chose), the allocation's directories at /alloc, /local and /secrets as
// under Nomad, and labels (orch.managed, orch.alloc_id, orch.task_name,
// orch.job_name) that tell orch's containers from others; it is named
// "<task>-<alloc id>".
//
// The plugin follows each container's output through the engine's log API
// into the same rotated files raw_exec writes, remembering in the task
// directory how far it got so that a restarted plugin resumes there
// (RecoverTask) rather than repeating or losing output. Exit codes come
// from the engine's wait API, OOM kills from inspecting the container,
// resource usage from its stats API. Containers outlive the plugin; a new
// plugin adopts them from the handle the client persisted.
package docker
