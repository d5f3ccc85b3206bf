// Package pool is orch's RPC transport: the bytes that select a protocol
// on the shared RPC port, the msgpack codec handle servers and callers
// share, and ConnPool, the caller's side of msgpack net/rpc over TCP.
//
// A connection to the RPC port starts with one RPCType byte: RPCNomad
// carries msgpack-encoded net/rpc calls, RPCRaft carries hashicorp/raft's
// network transport. One net/rpc connection multiplexes concurrent calls
// (net/rpc matches replies by sequence number and the server runs each call
// in its own goroutine), so ConnPool keeps one connection per server and
// shares it between goroutines.
//
// Errors returned by a remote endpoint cross the wire as strings;
// ConnPool turns them back into errors that match the structs sentinels
// with errors.Is, so callers branch the same way in process and remotely.
package pool
