package allocrunner

import "github.com/orch-dev/orch/nomadlike/structs"

// Alloc returns a copy of the server's allocation with the client fields
// (status, description, task states, deployment health) set from the
// tasks.
func (ar *AllocRunner) Alloc() *structs.Allocation {
	states := ar.taskStates()
	ar.mu.Lock()
	cp := *ar.alloc
	cp.DeploymentStatus = ar.withHealthLocked(ar.alloc)
	ar.mu.Unlock()
	cp.TaskStates = states
	cp.ClientStatus, cp.ClientDescription = clientStatus(states, ar.laterTasks)
	return &cp
}

func (ar *AllocRunner) taskStates() map[string]*structs.TaskState {
	states := make(map[string]*structs.TaskState, len(ar.tasks))
	for _, tr := range ar.tasks {
		states[tr.Name()] = tr.State()
	}
	ar.mu.Lock()
	defer ar.mu.Unlock()
	for name, st := range ar.setupStates {
		cp := *st
		states[name] = &cp
	}
	return states
}

// clientStatus derives the allocation's status: failed as soon as a task
// failed, pending until every task has started, running while any runs,
// and complete once all are dead without failure. later names the
// poststart and poststop tasks: one still waiting for its phase does not
// hold a running allocation in pending, since it may wait all its life.
func clientStatus(states map[string]*structs.TaskState, later map[string]bool) (string, string) {
	var pending, pendingLater, running, failed int
	for name, st := range states {
		switch {
		case st.State == structs.TaskStateDead && st.Failed:
			failed++
		case st.State == structs.TaskStatePending && later[name] && st.StartedAt.IsZero():
			pendingLater++
		case st.State == structs.TaskStatePending:
			pending++
		case st.State == structs.TaskStateRunning:
			running++
		}
	}
	if running == 0 {
		pending += pendingLater
	}
	switch {
	case failed > 0:
		return structs.AllocClientStatusFailed, "Failed tasks"
	case pending > 0 && running == 0:
		return structs.AllocClientStatusPending, "No tasks have started"
	case pending > 0:
		return structs.AllocClientStatusPending, "Tasks are starting"
	case running > 0:
		return structs.AllocClientStatusRunning, "Tasks are running"
	}
	return structs.AllocClientStatusComplete, "All tasks have completed"
}
