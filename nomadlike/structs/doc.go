// Package structs is the server's data model: jobs, nodes, allocations,
// evaluations and plans, the RPC requests that change them and the Raft
// message types that carry those requests.
//
// Everything here is plain data with small helpers. Field names match
// Nomad's so the JSON served on /v1 is what Nomad's clients expect; the
// public api package holds the user-facing twins of these types, and the
// HTTP layer converts between them. Nothing in this package does I/O, so the
// scheduler, the state store, the FSM and the client all share it.
package structs
