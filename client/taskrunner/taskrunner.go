package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/allocdir"
	"github.com/orch-dev/orch/client/getter"
	"github.com/orch-dev/orch/client/restarts"
	"github.com/orch-dev/orch/client/template"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Log rotation defaults when a task has no logs block, as Nomad's.
const (
	defaultLogMaxFiles   = 10
	defaultLogFileSizeMB = 10
)

// exitGrace is how long past its kill timeout a task may take to report
// its exit before the runner force-destroys it; a driver that lost the
// task must not hang the stop forever.
const exitGrace = 5 * time.Second

// Config is what a task runner needs.
type Config struct {
	Logger   hclog.Logger
	Alloc    *structs.Allocation
	Task     *structs.Task
	Driver   sdk.Driver
	AllocDir *allocdir.AllocDir
	Node     *structs.Node
	Region   string
	// OnUpdate is called after every change of the task's state, without
	// the runner's lock held, from the runner's goroutine or Kill's caller.
	OnUpdate func()
	// Jitter randomises restart delays; nil uses the restart tracker's.
	Jitter func(max time.Duration) time.Duration
	// StartGate, when set, holds the task before its setup until it is
	// closed: the alloc runner opens it when the task's lifecycle phase
	// begins. A kill while waiting ends the task without starting it.
	StartGate <-chan struct{}
	// Getter fetches the task's artifacts; nil uses a shared default.
	Getter *getter.Getter
	// Store, when set, persists the task's state and driver handle so a
	// restarted agent can recover the task (see restore.go).
	Store StateStore
	// RestoredState and RestoredHandle are what an earlier agent
	// persisted for this task; the runner recovers the task from them
	// instead of starting it anew.
	RestoredState  *structs.TaskState
	RestoredHandle *sdk.TaskHandle
	// Catalog, when set, is read by the task's templates (templates.go).
	Catalog template.RPCer
}

// TaskRunner runs one task. Run is called once; the other methods are safe
// to call concurrently with it.
type TaskRunner struct {
	cfg     *Config
	logger  hclog.Logger
	task    *structs.Task
	tracker *restarts.Tracker

	ctx    context.Context
	detach context.CancelFunc

	killCh   chan struct{}
	killOnce sync.Once
	waitCh   chan struct{}

	// persistMu orders writes of the state, so an older snapshot never
	// overwrites a newer one.
	persistMu sync.Mutex

	mu    sync.Mutex
	state *structs.TaskState
	// driverTaskID is the driver's ID of the task while it runs, for
	// Stats; empty between runs.
	driverTaskID string
	// restartCh carries Restart requests to the running task's wait;
	// immediateRestart marks a run ended by one that does not count
	// against the restart policy (restart.go).
	restartCh        chan restartRequest
	immediateRestart bool
}

// New returns a runner for cfg.Task, in state pending with a Received
// event.
func New(cfg *Config) (*TaskRunner, error) {
	if cfg.Alloc == nil || cfg.Alloc.Job == nil || cfg.Task == nil || cfg.Driver == nil || cfg.AllocDir == nil {
		return nil, errors.New("task runner: alloc with job, task, driver and alloc dir are required")
	}
	policy := cfg.Task.RestartPolicy
	if policy == nil {
		if tg := cfg.Alloc.Job.LookupTaskGroup(cfg.Alloc.TaskGroup); tg != nil {
			policy = tg.RestartPolicy
		}
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr := &TaskRunner{
		cfg:     cfg,
		logger:  cfg.Logger.Named("task_runner").With("alloc_id", cfg.Alloc.ID, "task", cfg.Task.Name),
		task:    cfg.Task,
		tracker: restarts.NewTracker(policy, cfg.Alloc.Job.Type, cfg.Jitter),
		ctx:     ctx,
		detach:  cancel,
		killCh:  make(chan struct{}),
		waitCh:  make(chan struct{}),
		state:   &structs.TaskState{State: structs.TaskStatePending},

		restartCh: make(chan restartRequest),
	}
	tr.state.Events = []*structs.TaskEvent{newEvent(structs.TaskReceived, "Task received by client")}
	tr.applyRestoredState()
	return tr, nil
}

// Name is the task's name.
func (tr *TaskRunner) Name() string { return tr.task.Name }

// IsLeader reports whether the task is its group's leader.
func (tr *TaskRunner) IsLeader() bool { return tr.task.Leader }

// WaitCh is closed when Run returns: the task is dead, or the runner was
// detached.
func (tr *TaskRunner) WaitCh() <-chan struct{} { return tr.waitCh }

// State returns a copy of the task's state.
func (tr *TaskRunner) State() *structs.TaskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s := *tr.state
	s.Events = append([]*structs.TaskEvent(nil), tr.state.Events...)
	return &s
}

// Kill asks the task to stop and not restart. cause, when set, is recorded
// first to say why (leader dead, sibling failed). It does not wait: use
// WaitCh.
func (tr *TaskRunner) Kill(cause *structs.TaskEvent) {
	tr.killOnce.Do(func() {
		if cause != nil {
			tr.update(func(s *structs.TaskState) { tr.appendEvent(s, cause) })
		}
		close(tr.killCh)
	})
}

// EmitEvent records ev in the task's events, for what the alloc runner
// does to the task (a shutdown_delay).
func (tr *TaskRunner) EmitEvent(ev *structs.TaskEvent) { tr.emit(ev) }

// Detach makes Run return without stopping the task, for an agent that
// shuts down but leaves its workloads running.
func (tr *TaskRunner) Detach() { tr.detach() }

func (tr *TaskRunner) killed() bool {
	select {
	case <-tr.killCh:
		return true
	default:
		return false
	}
}

func (tr *TaskRunner) detached() bool { return tr.ctx.Err() != nil }

// update changes the state under the lock, then reports the change.
func (tr *TaskRunner) update(fn func(s *structs.TaskState)) {
	tr.mu.Lock()
	fn(tr.state)
	tr.mu.Unlock()
	tr.persistState()
	tr.cfg.OnUpdate()
}

// appendEvent must be called with mu held.
func (tr *TaskRunner) appendEvent(s *structs.TaskState, ev *structs.TaskEvent) {
	s.Events = append(s.Events, ev)
	if n := len(s.Events); n > maxEvents {
		s.Events = append([]*structs.TaskEvent(nil), s.Events[n-maxEvents:]...)
	}
}

func (tr *TaskRunner) emit(ev *structs.TaskEvent) {
	tr.update(func(s *structs.TaskState) { tr.appendEvent(s, ev) })
}

// setDead marks the task finished, with an optional last event.
func (tr *TaskRunner) setDead(failed bool, ev *structs.TaskEvent) {
	tr.update(func(s *structs.TaskState) {
		if ev != nil {
			tr.appendEvent(s, ev)
		}
		s.State, s.Failed, s.FinishedAt = structs.TaskStateDead, failed, time.Now()
	})
}

// Run drives the task until it is dead or the runner is detached.
func (tr *TaskRunner) Run() {
	defer close(tr.waitCh)
	defer tr.detach() // releases the driver wait of the last run
	resume, done := tr.restore()
	if done {
		return
	}
	if resume == nil {
		if !tr.waitStartGate() {
			return
		}
		tr.emit(newEvent(structs.TaskSetup, "Building Task Directory"))
	}
	base := tr.buildTaskConfig()
	mounts, mountErr := taskMounts(tr.cfg.Alloc, tr.task, tr.cfg.Node)
	base.Mounts = mounts
	if err := tr.renderTemplates(&base); err != nil && mountErr == nil {
		mountErr = err
	}
	fetched := resume != nil || (len(tr.task.Artifacts) == 0 && tr.task.DispatchPayload == nil)
	for {
		if tr.killed() && resume == nil {
			tr.setDead(false, nil)
			return
		}
		var outcome restarts.Outcome
		var end bool
		if resume != nil {
			// The first run is the one recovered from before the restart.
			outcome, end = resume()
			resume = nil
		} else {
			if mountErr != nil {
				// Restarting cannot bring a volume back: fail now.
				tr.logger.Error("task setup failed", "error", mountErr)
				tr.setDead(true, setupFailureEvent(mountErr))
				return
			}
			if !fetched {
				// Prepared once: a restart reuses what the first start got.
				if err := tr.prepareTaskDir(); err != nil {
					outcome = restarts.Outcome{StartErr: err}
				} else {
					fetched = true
				}
			}
			if fetched {
				outcome, end = tr.runOnce(base)
			}
		}
		if end {
			return
		}
		if tr.killed() {
			// The task ended on its own while a kill was on its way.
			tr.setDead(false, nil)
			return
		}
		if tr.takeImmediateRestart() {
			continue
		}
		if outcome.Successful && tr.task.IsEphemeral() {
			// A prestart, poststart or poststop task that did its work
			// is done, whatever the job type.
			tr.setDead(false, nil)
			return
		}
		dec := tr.tracker.Next(time.Now(), outcome)
		if dec.Action == restarts.Stop {
			var ev *structs.TaskEvent
			if dec.Reason != "" {
				ev = notRestartingEvent(dec.Reason, dec.Failed)
			}
			tr.setDead(dec.Failed, ev)
			return
		}
		if !tr.waitToRestart(dec) {
			return
		}
	}
}

// waitToRestart records the restart and sleeps its delay; false means a
// kill or detach arrived meanwhile and Run must end.
func (tr *TaskRunner) waitToRestart(dec restarts.Decision) bool {
	tr.logger.Info("restarting task", "delay", dec.Delay, "reason", dec.Reason)
	tr.update(func(s *structs.TaskState) {
		tr.appendEvent(s, restartingEvent(dec.Delay, dec.Reason))
		s.State = structs.TaskStatePending
		s.Restarts++
		s.LastRestart = time.Now()
	})
	timer := time.NewTimer(dec.Delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-tr.killCh:
		tr.setDead(false, nil)
		return false
	case <-tr.ctx.Done():
		return false
	}
}

// buildTaskConfig interpolates the task once: its inputs do not change
// across restarts of the same allocation.
func (tr *TaskRunner) buildTaskConfig() sdk.TaskConfig {
	alloc, task := tr.cfg.Alloc, tr.task
	td := tr.cfg.AllocDir.TaskDir(task.Name)
	env := tr.taskEnv()
	cfg := sdk.TaskConfig{
		JobName:    alloc.Job.Name,
		TaskGroup:  alloc.TaskGroup,
		Name:       task.Name,
		AllocID:    alloc.ID,
		Namespace:  alloc.Namespace,
		Env:        env.Map(),
		User:       task.User,
		Config:     env.InterpolateConfig(task.Config),
		Resources:  taskResources(alloc, task),
		AllocDir:   tr.cfg.AllocDir.Dir,
		TaskDir:    td.Dir,
		StdoutPath: tr.cfg.AllocDir.LogPath(task.Name, "stdout"),
		StderrPath: tr.cfg.AllocDir.LogPath(task.Name, "stderr"),

		LogMaxFiles:      defaultLogMaxFiles,
		LogMaxFileSizeMB: defaultLogFileSizeMB,
	}
	// The same ports taskenv exports as NOMAD_PORT_*, for drivers that
	// publish them (docker).
	for _, p := range alloc.AllocatedResources.TaskPorts(task.Name) {
		cfg.Ports = append(cfg.Ports, sdk.PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: p.HostIP})
	}
	if lc := task.LogConfig; lc != nil {
		if lc.MaxFiles > 0 {
			cfg.LogMaxFiles = lc.MaxFiles
		}
		if lc.MaxFileSizeMB > 0 {
			cfg.LogMaxFileSizeMB = lc.MaxFileSizeMB
		}
		cfg.LogDisabled = lc.Disabled
	}
	return cfg
}

func taskResources(alloc *structs.Allocation, task *structs.Task) *sdk.Resources {
	r := &sdk.Resources{}
	if task.Resources != nil {
		r.CPUShares, r.MemoryMB, r.MemoryMaxMB = int64(task.Resources.CPU), int64(task.Resources.MemoryMB), int64(task.Resources.MemoryMaxMB)
	}
	if ar := alloc.AllocatedResources; ar != nil {
		if tr := ar.Tasks[task.Name]; tr != nil {
			r.CPUShares, r.MemoryMB, r.MemoryMaxMB = tr.Cpu.CpuShares, tr.Memory.MemoryMB, tr.Memory.MemoryMaxMB
		}
		r.DiskMB = ar.Shared.DiskMB
	}
	return r
}

func (tr *TaskRunner) killTimeout() time.Duration {
	if tr.task.KillTimeout > 0 {
		return tr.task.KillTimeout
	}
	return structs.DefaultKillTimeout
}

// runOnce starts the task and waits for it. end means Run must return: the
// task was killed (and is marked dead) or the runner was detached.
func (tr *TaskRunner) runOnce(base sdk.TaskConfig) (restarts.Outcome, bool) {
	cfg := base
	cfg.ID = fmt.Sprintf("%s/%s/%s", base.AllocID, base.Name, uuid.NewString()[:8])
	handle, err := tr.cfg.Driver.StartTask(&cfg)
	if err != nil {
		tr.logger.Warn("driver failed to start task", "error", err)
		tr.emit(driverFailureEvent(err))
		return restarts.Outcome{StartErr: err}, false
	}
	tr.persistHandle(handle)
	tr.update(func(s *structs.TaskState) {
		tr.appendEvent(s, newEvent(structs.TaskStarted, "Task started by client"))
		s.State = structs.TaskStateRunning
		if s.StartedAt.IsZero() {
			s.StartedAt = time.Now()
		}
	})
	return tr.wait(cfg.ID)
}

// wait follows a started task until it exits, is killed or the runner is
// detached; the results are runOnce's.
func (tr *TaskRunner) wait(taskID string) (restarts.Outcome, bool) {
	tr.setDriverTaskID(taskID)
	waitCh, err := tr.cfg.Driver.WaitTask(tr.ctx, taskID)
	if err != nil {
		tr.destroy(taskID)
		err = fmt.Errorf("wait for task: %w", err)
		tr.emit(driverFailureEvent(err))
		return restarts.Outcome{StartErr: err}, false
	}
	select {
	case res := <-waitCh:
		if tr.detached() {
			return restarts.Outcome{}, true
		}
		return tr.exited(taskID, res), false
	case <-tr.killCh:
		tr.stop(taskID, waitCh)
		return restarts.Outcome{}, true
	case req := <-tr.restartCh:
		return tr.restartTask(taskID, waitCh, req), false
	case <-tr.ctx.Done():
		return restarts.Outcome{}, true
	}
}

// exited records how the task ended and frees it in the driver.
func (tr *TaskRunner) exited(taskID string, res *sdk.ExitResult) restarts.Outcome {
	if res == nil {
		res = &sdk.ExitResult{Err: errors.New("driver stopped reporting on the task")}
	}
	var errMsg string
	if res.Err != nil {
		errMsg = res.Err.Error()
	}
	tr.logger.Debug("task exited", "exit_code", res.ExitCode, "signal", res.Signal, "error", errMsg)
	ev := terminatedEvent(res.ExitCode, res.Signal, errMsg)
	if res.OOMKilled {
		// Without this an OOM kill reads like any SIGKILL (137).
		ev.DisplayMessage += ", OOM Killed"
		ev.Details["oom_killed"] = "true"
	}
	tr.emit(ev)
	tr.destroy(taskID)
	return restarts.Outcome{Successful: res.Successful()}
}

// stop sends the kill signal, waits for the exit, then frees the task.
func (tr *TaskRunner) stop(taskID string, waitCh <-chan *sdk.ExitResult) {
	timeout := tr.killTimeout()
	tr.emit(killingEvent(timeout))
	if err := tr.cfg.Driver.StopTask(taskID, timeout, tr.task.KillSignal); err != nil {
		tr.logger.Warn("failed to stop task, destroying it", "error", err)
	}
	timer := time.NewTimer(timeout + exitGrace)
	defer timer.Stop()
	select {
	case <-waitCh:
	case <-timer.C:
		tr.logger.Warn("task did not exit after stop, destroying it", "timeout", timeout)
	case <-tr.ctx.Done():
	}
	tr.destroy(taskID)
	tr.setDead(false, newEvent(structs.TaskKilled, "Task successfully killed"))
}

func (tr *TaskRunner) destroy(taskID string) {
	tr.setDriverTaskID("")
	if err := tr.cfg.Driver.DestroyTask(taskID, true); err != nil && !errors.Is(err, sdk.ErrTaskNotFound) {
		tr.logger.Warn("failed to destroy task", "task_id", taskID, "error", err)
	}
	tr.persistHandle(nil)
}
