// Package state is the client's on-disk memory: a bbolt database at
// <data_dir>/client/state.db that lets a restarted agent pick up where the
// last one stopped, even after `kill -9`.
//
// It holds each allocation the client runs (the server's copy, job
// included), each task's TaskState and driver TaskHandle, and each driver
// plugin's reattach configuration. On start the client reattaches to the
// plugins, rebuilds its alloc runners from the allocations and asks the
// drivers to recover every persisted handle; only then does it resume
// watching the servers.
//
// Writes go through bbolt's Batch, so the many small updates of hundreds of
// tasks starting together share a few transactions and fsyncs instead of
// paying one each. Every method is safe for concurrent use.
package state
