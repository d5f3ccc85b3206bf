// Package template renders a task's template blocks: Go text/template
// documents written into the task directory before the task starts, and
// rendered again whenever the catalog data they read changes.
//
// A Manager renders every template of one task. Each render records the
// services the templates asked for (service / nomadService); Watch then
// follows each of them with a blocking ServiceRegistration.GetService
// query and renders again on every change. When a template's output
// differs from what is on disk, the file is replaced atomically and the
// template's change_mode is handed to the caller (restart the task,
// signal it, or nothing), after a random splay so that many allocations
// do not restart at once.
package template
