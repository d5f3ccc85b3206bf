package allocrunner

import (
	"sync"
	"time"

	"github.com/orch-dev/orch/client/taskrunner"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// stopForServer runs the stop the servers asked for, once, in Nomad's
// order, so that traffic drains before the tasks go: the group's services
// leave the catalog, the group's shutdown_delay passes, then each task
// but the poststop ones (which run as cleanup afterwards) has its own
// services deregistered, waits its own shutdown_delay and is killed.
// It does not block: Update is called from the client's allocation
// watcher, which must not wait out the delays.
func (ar *AllocRunner) stopForServer() {
	ar.stopOnce.Do(func() {
		ar.setStopping()
		go ar.shutdown()
	})
}

func (ar *AllocRunner) shutdown() {
	ar.deregister("")
	if d := ar.tg.ShutdownDelay; d != nil && *d > 0 {
		if ar.skippingDelay() {
			ar.logger.Debug("skipping the group's shutdown_delay", "delay", *d)
		} else {
			ar.logger.Debug("waiting for the group's shutdown_delay", "delay", *d)
			if !ar.waitShutdownDelay(*d) {
				return
			}
		}
	}
	var wg sync.WaitGroup
	for _, tr := range ar.tasks {
		if tr.Task().IsPoststop() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ar.deregister(tr.Name())
			if d := tr.Task().ShutdownDelay; d > 0 && !ar.taskDead(tr) {
				if ar.skippingDelay() {
					tr.EmitEvent(taskrunner.SkippingShutdownDelayEvent(d))
				} else {
					tr.EmitEvent(taskrunner.ShutdownDelayEvent(d))
					if !ar.waitShutdownDelay(d) {
						return
					}
				}
			}
			tr.Kill(nil)
		}()
	}
	wg.Wait()
}

func (ar *AllocRunner) deregister(task string) {
	if ar.cfg.Deregister != nil {
		ar.cfg.Deregister(task)
	}
}

func (ar *AllocRunner) taskDead(tr *taskrunner.TaskRunner) bool {
	select {
	case <-tr.WaitCh():
		return true
	default:
		return false
	}
}

// noteTransition opens skipDelay when the server asked the stop to skip
// shutdown_delay. The servers mark the allocations in the stop's own
// Raft entry, but a client may see the mark in a later update than the
// stop, so a delay already running is cut short too.
func (ar *AllocRunner) noteTransition(alloc *structs.Allocation) {
	if alloc.DesiredTransition.ShouldIgnoreShutdownDelay() {
		ar.skipDelayOnce.Do(func() { close(ar.skipDelay) })
	}
}

func (ar *AllocRunner) skippingDelay() bool {
	select {
	case <-ar.skipDelay:
		return true
	default:
		return false
	}
}

// waitShutdownDelay waits d on the runner's clock. A kill (Kill, Destroy)
// or the server's NoShutdownDelay mark cuts the delay short; false means
// the runner was detached, and the tasks must be left running.
func (ar *AllocRunner) waitShutdownDelay(d time.Duration) bool {
	select {
	case <-ar.clock.After(d):
		return true
	case <-ar.killNow:
		return true
	case <-ar.skipDelay:
		return true
	case <-ar.detaching:
		return false
	}
}
