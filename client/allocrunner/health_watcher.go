package allocrunner

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Clock is the time source of the health watcher, injected so tests can
// move time by hand.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// healthWatcher decides, once, whether an allocation of a deployment is
// healthy. It calls decideHealth whenever a task changes (changed
// receives) and when the decision said to look again, and hands the
// verdict to report.
type healthWatcher struct {
	logger   hclog.Logger
	clock    Clock
	tasks    []*structs.Task
	strategy *structs.UpdateStrategy
	// states returns the tasks' states and the allocation's client status.
	states  func() (map[string]*structs.TaskState, string)
	changed <-chan struct{}
	report  func(healthy bool, at time.Time)
	// checks, when set, reports the allocation's service checks (see
	// Config.ChecksHealthy); nil when health ignores checks.
	checks func() (healthy, known bool)
}

// run watches until a verdict is reported or ctx is done.
func (w *healthWatcher) run(ctx context.Context) {
	start := w.clock.Now()
	var passingSince time.Time
	for {
		states, status := w.states()
		now := w.clock.Now()
		if w.checks != nil {
			if ok, known := w.checks(); ok && known {
				if passingSince.IsZero() {
					passingSince = now
				}
			} else {
				passingSince = time.Time{}
			}
		}
		d := decideHealth(healthInput{Tasks: w.tasks, States: states, ClientStatus: status,
			Strategy: w.strategy, Start: start, Now: now,
			HasChecks: w.checks != nil, ChecksPassingSince: passingSince})
		if d.Decided {
			w.logger.Info("allocation health decided", "healthy", d.Healthy, "reason", d.Reason)
			w.report(d.Healthy, now)
			return
		}
		var recheck <-chan time.Time
		if !d.Recheck.IsZero() {
			recheck = w.clock.After(d.Recheck.Sub(now))
		}
		select {
		case <-ctx.Done():
			return
		case <-w.changed:
		case <-recheck:
		}
	}
}

// healthState is the alloc runner's side of health watching; its fields
// are guarded by the runner's mu.
type healthState struct {
	// deploymentID is the deployment being (or last) watched.
	deploymentID string
	// status is the verdict for deploymentID, nil until there is one.
	status *structs.AllocDeploymentStatus
	cancel context.CancelFunc
	done   chan struct{}
	// poke wakes the watcher when a task changes.
	poke chan struct{}
}

// watchHealth starts judging the allocation's health when it belongs to a
// deployment that clients judge (health_check other than "manual") and
// that has no verdict yet; a watch for an earlier deployment is stopped
// first. It is called when the runner starts and on every update from
// the server.
func (ar *AllocRunner) watchHealth(alloc *structs.Allocation) {
	strategy := ar.tg.Update
	if alloc.Job != nil {
		if tg := alloc.Job.LookupTaskGroup(alloc.TaskGroup); tg != nil {
			strategy = tg.Update
		}
	}
	ar.mu.Lock()
	defer ar.mu.Unlock()
	h := &ar.health
	if alloc.ServerTerminalStatus() || alloc.DeploymentID != h.deploymentID {
		h.stopLocked()
	}
	if alloc.ServerTerminalStatus() || alloc.DeploymentID == "" || !strategy.WatchesHealth() ||
		alloc.DeploymentStatus.HasHealth() || (alloc.DeploymentID == h.deploymentID && (h.cancel != nil || h.status != nil)) {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.deploymentID, h.status, h.cancel, h.done = alloc.DeploymentID, nil, cancel, make(chan struct{})
	h.poke = make(chan struct{}, 1)
	deploymentID := alloc.DeploymentID
	w := &healthWatcher{
		logger:   ar.logger.Named("health").With("deployment_id", deploymentID),
		clock:    ar.clock,
		tasks:    ar.tg.Tasks,
		strategy: strategy,
		states: func() (map[string]*structs.TaskState, string) {
			states := ar.taskStates()
			status, _ := clientStatus(states, ar.laterTasks)
			return states, status
		},
		changed: h.poke,
		report:  func(healthy bool, at time.Time) { ar.healthDecided(deploymentID, healthy, at) },
	}
	if strategy.HealthCheck == structs.UpdateHealthCheckChecks && groupHasChecks(ar.tg) && ar.cfg.ChecksHealthy != nil {
		allocID := alloc.ID
		w.checks = func() (bool, bool) { return ar.cfg.ChecksHealthy(allocID) }
	}
	done := h.done
	go func() {
		defer close(done)
		w.run(ctx)
	}()
}

// stopLocked stops the watcher, if any, without waiting for it.
func (h *healthState) stopLocked() {
	if h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
}

// stopHealth stops the watcher and waits for it to return.
func (ar *AllocRunner) stopHealth() {
	ar.mu.Lock()
	ar.health.stopLocked()
	done := ar.health.done
	ar.mu.Unlock()
	if done != nil {
		<-done
	}
}

// healthDecided records a verdict and reports it with the allocation.
func (ar *AllocRunner) healthDecided(deploymentID string, healthy bool, at time.Time) {
	ar.mu.Lock()
	if ar.health.deploymentID != deploymentID {
		ar.mu.Unlock()
		return // the allocation moved on to another deployment meanwhile
	}
	ar.health.status = &structs.AllocDeploymentStatus{Healthy: &healthy, Timestamp: at}
	ar.health.cancel = nil
	ar.mu.Unlock()
	ar.taskStateChanged()
}

// pokeHealth tells the watcher a task changed.
func (ar *AllocRunner) pokeHealth() {
	ar.mu.Lock()
	poke := ar.health.poke
	ar.mu.Unlock()
	if poke == nil {
		return
	}
	select {
	case poke <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// withHealth returns the allocation's deployment status as the server
// has it with the client's verdict (Healthy, Timestamp) for the same
// deployment on top. Callers hold ar.mu.
func (ar *AllocRunner) withHealthLocked(alloc *structs.Allocation) *structs.AllocDeploymentStatus {
	h := ar.health
	if h.status == nil || h.deploymentID != alloc.DeploymentID || alloc.DeploymentStatus.HasHealth() {
		return alloc.DeploymentStatus
	}
	out := alloc.DeploymentStatus.Copy()
	if out == nil {
		out = &structs.AllocDeploymentStatus{}
	}
	healthy := *h.status.Healthy
	out.Healthy, out.Timestamp = &healthy, h.status.Timestamp
	return out
}

// groupHasChecks reports whether any service of the group or its tasks
// has a check.
func groupHasChecks(tg *structs.TaskGroup) bool {
	for _, s := range tg.Services {
		if len(s.Checks) > 0 {
			return true
		}
	}
	for _, t := range tg.Tasks {
		for _, s := range t.Services {
			if len(s.Checks) > 0 {
				return true
			}
		}
	}
	return false
}
