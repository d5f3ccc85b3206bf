// Package command is the orch CLI: one file per verb (job_run.go,
// alloc_logs.go, ...), each a hashicorp/cli Command that talks to an agent
// through the api package, except `orch agent`, which runs one (see
// command/agent). Output follows Nomad's: key = value headers and
// columnized tables for people, -json for machines.
package command
