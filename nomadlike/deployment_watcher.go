package nomadlike

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// deploymentWatcherRetry is how long the watcher waits after a failed
// pass before reading state again.
const deploymentWatcherRetry = time.Second

// deploymentWatcher advances active deployments on the leader. It keeps
// nothing that matters in memory: deadlines come from RequireProgressBy
// in state, so a new leader picks every deployment up where the old one
// left it. The only memory, the health index already answered with an
// evaluation, at worst costs one redundant evaluation after a leader
// change.
type deploymentWatcher struct {
	logger hclog.Logger
	store  func() *state.StateStore
	apply  func(t structs.MessageType, req any) (uint64, error)
	now    func() time.Time
	seen   map[string]uint64
}

func newDeploymentWatcher(s *Server, logger hclog.Logger) *deploymentWatcher {
	return &deploymentWatcher{
		logger: logger.Named("deployment_watcher"),
		store:  s.fsm.State,
		apply: func(t structs.MessageType, req any) (uint64, error) {
			index, _, err := s.raftApply(t, req)
			return index, err
		},
		now:  time.Now,
		seen: make(map[string]uint64),
	}
}

// run passes over the active deployments whenever deployments or
// allocations change, or the nearest progress deadline comes, until
// stopCh closes (leadership is lost).
func (w *deploymentWatcher) run(stopCh chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stopCh
		cancel()
	}()
	for ctx.Err() == nil {
		ws := memdb.NewWatchSet()
		wake, err := w.pass(ws)
		if err != nil {
			w.logger.Error("deployment watcher pass failed", "error", err)
			wake = w.now().Add(deploymentWatcherRetry)
		}
		waitCtx, waitCancel := ctx, context.CancelFunc(func() {})
		if !wake.IsZero() {
			waitCtx, waitCancel = context.WithTimeout(ctx, max(wake.Sub(w.now()), time.Millisecond))
		}
		_ = ws.WatchCtx(waitCtx)
		waitCancel()
	}
}

// pass decides and writes for every active deployment; it returns the
// earliest deadline to wake up at, zero for none.
func (w *deploymentWatcher) pass(ws memdb.WatchSet) (time.Time, error) {
	store := w.store()
	deployments, err := store.Deployments(ws, state.AllNamespaces, "")
	if err != nil {
		return time.Time{}, fmt.Errorf("listing deployments: %w", err)
	}
	var wake time.Time
	live := make(map[string]bool)
	for _, d := range deployments {
		if !d.Active() {
			continue
		}
		live[d.ID] = true
		at, err := w.watch(store, ws, d)
		if err != nil {
			return time.Time{}, fmt.Errorf("deployment %s: %w", d.ID, err)
		}
		if !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
	}
	for id := range w.seen {
		if !live[id] {
			delete(w.seen, id)
		}
	}
	return wake, nil
}

func (w *deploymentWatcher) watch(store *state.StateStore, ws memdb.WatchSet, d *structs.Deployment) (time.Time, error) {
	allocs, err := store.AllocsByDeployment(ws, d.ID)
	if err != nil {
		return time.Time{}, err
	}
	job, err := store.JobByID(nil, d.Namespace, d.JobID)
	if err != nil {
		return time.Time{}, err
	}
	var versions []*structs.Job
	if job != nil {
		if versions, err = store.JobVersionsByID(nil, d.Namespace, d.JobID); err != nil {
			return time.Time{}, err
		}
	}
	act := decideDeployment(watchInput{
		Deployment: d, Allocs: allocs, Job: job, Versions: versions, SeenHealth: w.seen[d.ID], Now: w.now(),
	})
	if err := w.write(d, act); err != nil {
		return time.Time{}, err
	}
	w.seen[d.ID] = act.HealthIndex
	return act.WakeAt, nil
}

func (w *deploymentWatcher) write(d *structs.Deployment, act watchAction) error {
	logger := w.logger.With("deployment_id", d.ID, "job_id", d.JobID, "namespace", d.Namespace)
	var err error
	switch {
	case act.Status != nil:
		u := act.Status.DeploymentUpdate
		logger.Info("deployment finished", "status", u.Status, "description", u.StatusDescription)
		_, err = w.apply(structs.DeploymentStatusUpdateRequestType, act.Status)
	case act.Reschedule != nil:
		logger.Info("marking unhealthy allocations for rescheduling", "allocs", len(act.Reschedule.Allocs))
		_, err = w.apply(structs.AllocUpdateDesiredTransitType, act.Reschedule)
	case act.Promote != nil:
		logger.Info("auto-promoting healthy canaries")
		_, err = w.apply(structs.DeploymentPromoteRequestType, act.Promote)
	case act.Eval != nil:
		logger.Debug("allocation health changed; evaluating job", "eval_id", act.Eval.ID)
		_, err = w.apply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{act.Eval}})
	}
	if err != nil {
		return fmt.Errorf("writing deployment change: %w", err)
	}
	return nil
}
