// Package taskenv builds a task's environment — Nomad's runtime variables
// (NOMAD_ALLOC_ID, NOMAD_TASK_DIR, NOMAD_PORT_<label>, ...) with ORCH_
// aliases, plus the task's own env block — and interpolates ${...}
// references to those variables and to the node (${attr.*}, ${node.*},
// ${meta.*}, ${env.*}) in task config, env values and args, so a Nomad
// jobspec runs unchanged. It is pure: everything comes from its Input.
package taskenv
