package allocrunner

import (
	"sync"

	"github.com/orch-dev/orch/client/taskrunner"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Lifecycle phases of a group's tasks, in the order they may begin.
type phase int

const (
	phasePrestart phase = iota
	phaseMain
	phasePoststart
	phasePoststop
)

func phaseOf(t *structs.Task) phase {
	switch {
	case t.IsPrestart():
		return phasePrestart
	case t.IsPoststart():
		return phasePoststart
	case t.IsPoststop():
		return phasePoststop
	}
	return phaseMain
}

// taskView is what the lifecycle decision needs to know of one task.
type taskView struct {
	task  *structs.Task
	state *structs.TaskState
}

// lifecycleStep is what the alloc runner must do next to move the group
// through its phases.
type lifecycleStep struct {
	// open lists the phases whose tasks may now start.
	open []phase
	// stopHelpers: every main task is dead, so sidecars and poststart
	// tasks must stop.
	stopHelpers bool
}

// nextLifecycleStep decides, from the tasks' states alone, which phases
// may begin: main tasks once every ephemeral prestart task completed and
// every prestart sidecar started; poststart tasks once every main task
// started; poststop tasks once every main task is dead. stopping holds
// back main and poststart tasks of an allocation being stopped, whose
// prestart tasks end killed rather than completed.
func nextLifecycleStep(views []taskView, stopping bool) lifecycleStep {
	prestartDone, mainStarted, mainDead := true, true, true
	for _, v := range views {
		started := !v.state.StartedAt.IsZero()
		dead := v.state.State == structs.TaskStateDead
		switch phaseOf(v.task) {
		case phasePrestart:
			if v.task.IsSidecar() {
				prestartDone = prestartDone && started
			} else {
				prestartDone = prestartDone && dead && !v.state.Failed
			}
		case phaseMain:
			mainStarted = mainStarted && started
			mainDead = mainDead && dead
		}
	}
	var step lifecycleStep
	if !stopping && prestartDone {
		step.open = append(step.open, phaseMain)
		if mainStarted {
			step.open = append(step.open, phasePoststart)
		}
	}
	if mainDead {
		step.open = append(step.open, phasePoststop)
		step.stopHelpers = true
	}
	return step
}

// gates are the start gates of the phases after prestart, each closed
// once when its phase begins.
type gates struct {
	ch   map[phase]chan struct{}
	once map[phase]*sync.Once
}

func newGates() *gates {
	g := &gates{ch: make(map[phase]chan struct{}), once: make(map[phase]*sync.Once)}
	for _, p := range []phase{phasePrestart, phaseMain, phasePoststart, phasePoststop} {
		g.ch[p] = make(chan struct{})
		g.once[p] = new(sync.Once)
	}
	g.open(phasePrestart)
	return g
}

func (g *gates) open(p phase) { g.once[p].Do(func() { close(g.ch[p]) }) }

// coordinate applies the lifecycle decision after every change of a task's
// state until done closes. It runs in its own goroutine because acting
// (killing a task) changes states again, which must not re-enter the task
// runner that reported the change.
func (ar *AllocRunner) coordinate(done <-chan struct{}) {
	helpersStopped := false
	for {
		ar.mu.Lock()
		stopping := ar.stopping
		ar.mu.Unlock()
		views := make([]taskView, len(ar.tasks))
		for i, tr := range ar.tasks {
			views[i] = taskView{task: tr.Task(), state: tr.State()}
		}
		step := nextLifecycleStep(views, stopping)
		for _, p := range step.open {
			ar.gates.open(p)
		}
		if step.stopHelpers && !helpersStopped {
			helpersStopped = true
			ar.stopHelpers()
		}
		select {
		case <-ar.poke:
		case <-done:
			return
		case <-ar.detaching:
			return
		}
	}
}

// stopHelpers stops the sidecars and poststart tasks still alive once the
// main tasks are gone, saying why.
func (ar *AllocRunner) stopHelpers() {
	for _, tr := range ar.tasks {
		t := tr.Task()
		if t.IsMain() || t.IsPoststop() {
			continue
		}
		if st := tr.State(); st.State != structs.TaskStateDead {
			ar.logger.Debug("main tasks dead, stopping task", "task", t.Name)
			tr.Kill(taskrunner.MainDeadEvent())
		}
	}
}
