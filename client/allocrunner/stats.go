package allocrunner

import "github.com/orch-dev/orch/client/taskrunner"

// TaskRunners returns the runners of the allocation's tasks; a task whose
// setup failed has none.
func (ar *AllocRunner) TaskRunners() []*taskrunner.TaskRunner {
	// tasks is fixed after New, so no lock is needed.
	return append([]*taskrunner.TaskRunner(nil), ar.tasks...)
}
