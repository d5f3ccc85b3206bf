// Package jobspec turns a job file written in Nomad's HCL jobspec syntax into
// an api.Job, the user-facing type the CLI sends to the HTTP API.
//
// It is the first step of `orch job run` and the whole of `orch job
// validate`, so it aims to report every mistake in a file at once, each with
// the file, line and column and the field at fault. Parsing does three
// things:
//
//   - It evaluates what can be known on the submitting machine: `variable`
//     blocks and their `var.*` references, `locals`, and a set of pure HCL
//     functions. Interpolations rooted anywhere else (`${attr.kernel.name}`,
//     `${node.unique.id}`, `${meta.rack}`, `${NOMAD_ALLOC_ID}`, `${env.X}`)
//     are kept as literal text, because only the client that runs the task
//     can resolve them.
//   - It decodes the job, group and task blocks orch supports into the api
//     types, leaving unset fields nil so api.Job.Canonicalize can fill
//     Nomad's defaults later. Blocks Nomad knows but orch does not yet get a
//     dedicated error; the list lives in unsupported.go.
//   - It checks the rules a server would otherwise reject the job for
//     (valid type, priority range, unique names, port ranges, known
//     constraint operators) so users see them with a source position.
//     Given the drivers' schemas (ParseConfig.TaskConfigSchema), it also
//     reports config keys a task's driver does not accept, at the key.
//
// The package imports only api and HCL libraries, never the server, so the
// CLI stays small and the server converts api types to its own model.
package jobspec
