// Package client is orch's node agent. It fingerprints the machine and its
// drivers into a structs.Node, registers it with the servers and keeps it
// alive with heartbeats, watches the servers for the allocations placed on
// it with blocking queries, runs each through an alloc runner (see
// client/allocrunner and client/taskrunner), and reports task states back
// in batches. It speaks to the servers only through structs.RPCer, so the
// same code runs in process under `orch agent -dev` and over the RPC port
// otherwise.
//
// Goroutines: one per driver fingerprint stream, one that registers and
// heartbeats, one that watches allocations, one that sends alloc updates,
// and the alloc and task runners' own.
package client
