// Package checks runs one service check (http, tcp, grpc, script) against
// an instance and turns the result into Nomad's health statuses: passing,
// warning or critical. It knows nothing of allocations or the catalog;
// the service registration hook (client/serviceregistration) schedules
// the checks, aggregates their results and reports them.
//
// A check never panics or blocks past its timeout: a refused connection,
// a timeout or a bad answer is a critical result with the reason as its
// output.
package checks
