// Package state is the server's in-memory state store: jobs, nodes,
// allocations, evaluations and job summaries in go-memdb tables, each
// change stamped with the Raft index that made it.
//
// Only the FSM writes, from Raft's single apply goroutine, so writes never
// race each other; reads may run anywhere at any time. Objects handed out
// are shared with the store and must be treated as read-only: writers copy
// before they change anything (see the Copy methods in structs). Reads take
// a memdb.WatchSet so RPC endpoints can block until the data they returned
// changes (BlockingQuery), and Snapshot gives the scheduler a consistent
// view at one index that later writes do not disturb.
//
// Job summaries (allocation counts per group and client status) and each
// job's Status are maintained incrementally on every allocation write, so
// listing jobs never rescans allocations. Deployments are kept the same
// way: every allocation write that places an allocation in a deployment
// or changes its health moves the group's placed/healthy/unhealthy counts
// and progress deadline in the same transaction (state_deployments.go).
package state
