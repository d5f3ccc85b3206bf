// Package nomadtest starts real orch servers for tests in other packages:
// in dev mode (Raft in memory), on a free port, with logs routed to the
// test and shutdown registered with t.Cleanup.
package nomadtest
