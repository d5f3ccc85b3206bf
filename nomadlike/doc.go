// Package nomadlike is the orch server: Raft and the FSM that applies its
// log to the state store, the RPC endpoints agents and clients call, and
// the scheduling machinery the leader runs.
//
// A write enters through an endpoint (Job.Register, Node.UpdateAlloc, ...),
// is validated, and becomes one Raft entry: a structs.MessageType byte and
// a msgpack body. Once committed, the FSM applies it to the go-memdb store
// (package state) and hands any evaluations it created to the leader's
// eval broker. Workers on every server dequeue evaluations, run the
// scheduler against a state snapshot and submit plans to the leader's plan
// queue; the plan applier re-checks each plan against the newest state and
// commits what still fits, again through Raft. Evaluations that could not
// place everything wait in the blocked evals (blocked_evals.go) until a
// node of a computed class they could use gains capacity.
//
// After each entry the FSM also publishes the objects it wrote to the
// event stream (package stream, fsm_events.go), which agents serve as
// /v1/event/stream.
//
// The leader also runs the built-in autoscaler (autoscaler.go): clients
// send usage samples of autoscaled allocations (Node.EmitAllocMetrics,
// kept in memory, never in Raft), each group's scaling policy is decided
// by the pure package autoscale, and changes go through Job.Scale, which
// records a scaling event with the new job version in one entry.
//
// Reads are served from the local state store and may block: a request
// with MinQueryIndex waits until the data it reads changes past that index
// (or MaxQueryTime passes), which is how clients learn of new allocations.
//
// The RPC port carries two protocols, chosen by a connection's first byte
// (see package pool): msgpack net/rpc for the endpoints and Raft's own
// transport. Server.RPC serves in-process calls through the same net/rpc
// server, so a dev agent and a remote client take one code path.
//
// Servers find each other by gossip (hashicorp/memberlist, gossip.go):
// each carries tags with its region, datacenter, Raft ID and address and
// bootstrap_expect. A new cluster bootstraps Raft once gossip shows the
// expected servers (bootstrap.go); afterwards the leader keeps the Raft
// configuration in step with gossip, adding servers that join and removing
// those that left or stayed failed past a grace period (autopilot.go).
//
// Deployments (deployment_endpoint.go) are created and updated with the
// plans that place their allocations; operators promote, pause, resume
// and fail them, each change one Raft entry with its evaluation and, for a
// failure with auto_revert, the job version to register again
// (deployment_rollback.go holds those decisions as pure functions for the
// leader's deployment watcher to share).
package nomadlike
