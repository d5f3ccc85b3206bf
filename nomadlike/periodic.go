package nomadlike

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// periodicRetry spaces out passes after a failed launch, so a lost
// leadership or a full Raft does not spin the loop.
const periodicRetry = time.Second

// periodicDue decides one job's launch at now, knowing that nothing is
// owed for times up to and including base. It returns the launch time of
// the child due now (ok false when none is due) and when to look again
// (zero: the job never fires again). When more than one launch was missed
// (no leader for a while), one child is launched, at now, rather than one
// per missed time: as Nomad, a catch-up run, not a burst. It has no side
// effects.
func periodicDue(p *structs.PeriodicConfig, base, now time.Time) (due time.Time, ok bool, next time.Time) {
	n := p.Next(base)
	if n.IsZero() {
		return time.Time{}, false, time.Time{}
	}
	if n.After(now) {
		return time.Time{}, false, n
	}
	due = n
	if following := p.Next(n); !following.IsZero() && !following.After(now) {
		due = now.Truncate(time.Second)
	}
	return due, true, p.Next(due)
}

// launchBase is the time up to which a job is owed nothing: its last
// launch, the submission of its current version (a job registered or
// changed now starts its schedule now), or the last launch this leader
// skipped, whichever is latest.
func launchBase(job *structs.Job, last *structs.PeriodicLaunch, skipped time.Time) time.Time {
	base := time.Unix(0, job.SubmitTime)
	if last != nil && last.Launch.After(base) {
		base = last.Launch
	}
	if skipped.After(base) {
		base = skipped
	}
	return base
}

// periodicChild derives the child a periodic job launches at t: the job
// without its schedule, under the ID "<parent>/periodic-<unix seconds>".
func periodicChild(parent *structs.Job, at time.Time) *structs.Job {
	c := parent.Copy()
	c.ID = structs.PeriodicChildID(parent.ID, at)
	c.Name = c.ID
	c.ParentID = parent.ID
	c.Periodic = nil
	c.Status, c.StatusDescription = "", ""
	return c
}

// periodicDispatcher runs on the leader and launches the children of
// periodic jobs when their time comes. All it remembers in memory is the
// launches it skipped for prohibit_overlap; everything else (which jobs
// are periodic, when each last launched) it reads from state, which
// records a launch in the same Raft entry as the child. A new leader
// therefore picks up where the old one stopped: it launches neither twice
// nor never.
type periodicDispatcher struct {
	logger hclog.Logger
	clock  Clock
	state  func() *state.StateStore
	// launch registers a child job with its evaluation through Raft.
	launch func(child *structs.Job, trigger string) (*childLaunch, error)

	// mu makes a forced launch and a scheduled pass take turns, so both
	// never launch the same second's child.
	mu      sync.Mutex
	skipped map[jobRef]time.Time
}

// childLaunch is what registering a child wrote.
type childLaunch struct {
	JobID       string
	EvalID      string
	Index       uint64
	JobCreateAt uint64
}

func newPeriodicDispatcher(logger hclog.Logger, clock Clock, st func() *state.StateStore,
	launch func(*structs.Job, string) (*childLaunch, error)) *periodicDispatcher {
	return &periodicDispatcher{
		logger: logger.Named("periodic"), clock: clock, state: st, launch: launch,
		skipped: make(map[jobRef]time.Time),
	}
}

// run makes a pass whenever the set of periodic jobs changes or the
// nearest launch time comes, until stopCh closes.
func (d *periodicDispatcher) run(stopCh chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stopCh
		cancel()
	}()
	for ctx.Err() == nil {
		st := d.state()
		ws := memdb.NewWatchSet()
		ws.Add(st.AbandonCh())
		wake, err := d.pass(ws, st)
		if err != nil {
			d.logger.Error("periodic pass failed", "error", err)
			wake = d.clock.Now().Add(periodicRetry)
		}
		waitCtx, waitCancel := context.WithCancel(ctx)
		if !wake.IsZero() {
			timer := d.clock.At(wake)
			go func() {
				select {
				case <-timer:
					waitCancel()
				case <-waitCtx.Done():
				}
			}()
		}
		_ = ws.WatchCtx(waitCtx)
		waitCancel()
	}
}

// pass launches every child due now and returns the nearest time another
// is due (zero if none).
func (d *periodicDispatcher) pass(ws memdb.WatchSet, st *state.StateStore) (time.Time, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	jobs, err := st.PeriodicJobs(ws)
	if err != nil {
		return time.Time{}, err
	}
	now := d.clock.Now()
	var wake time.Time
	var errs []error
	tracked := make(map[jobRef]bool, len(jobs))
	for _, job := range jobs {
		ref := jobRef{job.Namespace, job.ID}
		tracked[ref] = true
		next, err := d.consider(st, job, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !next.IsZero() && (wake.IsZero() || next.Before(wake)) {
			wake = next
		}
	}
	// A job stopped, purged or made non-periodic is no longer tracked.
	for ref := range d.skipped {
		if !tracked[ref] {
			delete(d.skipped, ref)
		}
	}
	return wake, errors.Join(errs...)
}

// consider launches the job's child if one is due and returns when the
// job is next due.
func (d *periodicDispatcher) consider(st *state.StateStore, job *structs.Job, now time.Time) (time.Time, error) {
	ref := jobRef{job.Namespace, job.ID}
	last, err := st.PeriodicLaunchByID(nil, job.Namespace, job.ID)
	if err != nil {
		return time.Time{}, err
	}
	due, ok, next := periodicDue(job.Periodic, launchBase(job, last, d.skipped[ref]), now)
	if !ok {
		return next, nil
	}
	logger := d.logger.With("namespace", job.Namespace, "job_id", job.ID, "launch_time", due)
	if job.Periodic.ProhibitOverlap {
		running, err := runningChildren(st, job)
		if err != nil {
			return time.Time{}, err
		}
		if running != "" {
			logger.Debug("skipping launch: an earlier child is still running", "child_id", running)
			d.skipped[ref] = due
			return next, nil
		}
	}
	child := periodicChild(job, due)
	if existing, err := st.JobByID(nil, job.Namespace, child.ID); err != nil {
		return time.Time{}, err
	} else if existing != nil {
		// Forced in the same second: that child stands for this launch.
		d.skipped[ref] = due
		return next, nil
	}
	res, err := d.launch(child, structs.EvalTriggerPeriodicJob)
	if err != nil {
		return time.Time{}, fmt.Errorf("launch %q: %w", child.ID, err)
	}
	logger.Info("launched periodic child", "child_id", child.ID, "eval_id", res.EvalID)
	return next, nil
}

// runningChildren returns the ID of one of the job's periodic children
// that is not dead yet (pending or running), or "".
func runningChildren(st *state.StateStore, job *structs.Job) (string, error) {
	children, err := st.Jobs(nil, job.Namespace, job.ID+structs.PeriodicLaunchSuffix)
	if err != nil {
		return "", err
	}
	for _, c := range children {
		if c.ParentID == job.ID && c.Status != structs.JobStatusDead {
			return c.ID, nil
		}
	}
	return "", nil
}

// force launches a child of the job now, whatever its schedule and
// prohibit_overlap say, as `nomad job periodic force` does.
func (d *periodicDispatcher) force(namespace, jobID string) (*childLaunch, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.state()
	job, err := st.JobByID(nil, namespace, jobID)
	if err != nil {
		return nil, err
	}
	switch {
	case job == nil:
		return nil, fmt.Errorf("job %q in namespace %q: %w", jobID, namespace, structs.ErrNotFound)
	case !job.IsPeriodic():
		return nil, fmt.Errorf("%w: job %q is not periodic", structs.ErrBadRequest, jobID)
	case job.IsParameterized():
		return nil, fmt.Errorf("%w: job %q is parameterized: dispatch it instead", structs.ErrBadRequest, jobID)
	case job.Stop:
		return nil, fmt.Errorf("%w: job %q is stopped", structs.ErrBadRequest, jobID)
	case !job.Periodic.Enabled:
		return nil, fmt.Errorf("%w: periodic launches of job %q are disabled (enabled = false)", structs.ErrBadRequest, jobID)
	}
	child := periodicChild(job, d.clock.Now())
	if existing, err := st.JobByID(nil, namespace, child.ID); err != nil {
		return nil, err
	} else if existing != nil {
		return nil, fmt.Errorf("%w: job %q was already launched this second as %q", structs.ErrBadRequest, jobID, child.ID)
	}
	res, err := d.launch(child, structs.EvalTriggerPeriodicJob)
	if err != nil {
		return nil, fmt.Errorf("force launch of %q: %w", jobID, err)
	}
	d.logger.Info("forced periodic launch", "namespace", namespace, "job_id", jobID, "child_id", child.ID, "eval_id", res.EvalID)
	return res, nil
}
