// Package api is orch's public Go client and the user-facing types of its
// HTTP API. The shapes follow Nomad's /v1 API and Nomad's Go client
// (Jobs(), Allocations(), QueryOptions, QueryMeta, ...) so that deploy bots
// written against Nomad carry over with an import change.
//
// The types in the *_types.go files use pointer fields so that "unset" can
// be told from a zero value; Job.Canonicalize fills Nomad's defaults. The
// CLI uses this package for every call it makes to an agent.
package api
