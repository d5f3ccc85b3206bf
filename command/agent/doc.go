// Package agent is the orch agent: its configuration (HCL files and
// flags, in the shape of Nomad's agent config), the HTTP server that serves
// Nomad's /v1 API, and the wiring that starts a server, a client, or both
// in one process.
//
// HTTP handlers never touch state directly: each one decodes and checks its
// request, converts api types to server types once (job_convert.go), and
// makes one RPC through structs.RPCer, so leader forwarding and, later,
// ACLs live in a single place on the server side. Every request first
// passes HTTPServer.authenticate.
package agent
