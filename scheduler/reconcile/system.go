package reconcile

import "github.com/orch-dev/orch/nomadlike/structs"

// Outdated reports whether a runs an older version of job than the
// registered one. The system scheduler, which does not reconcile by count,
// asks the same question per node.
func Outdated(a *structs.Allocation, job *structs.Job) bool { return outdated(a, job) }

// DestructiveChange reports whether moving an allocation of group from old
// to job needs a new allocation rather than an in-place update.
func DestructiveChange(old, job *structs.Job, group string) bool {
	return destructiveChange(old, job, group)
}
