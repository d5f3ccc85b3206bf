package allocrunner

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/allocdir"
	"github.com/orch-dev/orch/client/getter"
	"github.com/orch-dev/orch/client/state"
	"github.com/orch-dev/orch/client/taskrunner"
	"github.com/orch-dev/orch/client/template"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// Config is what an alloc runner needs.
type Config struct {
	Logger hclog.Logger
	// Alloc is the server's allocation, with its job.
	Alloc  *structs.Allocation
	Node   *structs.Node
	Region string
	// Drivers are the client's drivers by name.
	Drivers map[string]sdk.Driver
	// AllocRoot is the directory allocation directories are created in.
	AllocRoot string
	// OnUpdate receives a copy of the allocation, client fields filled in,
	// after every change of a task's state. It is called from task runner
	// goroutines and must not block for long.
	OnUpdate func(alloc *structs.Allocation)
	// Jitter randomises restart delays; nil for the default.
	Jitter func(max time.Duration) time.Duration
	// Getter fetches task artifacts; nil for the task runner's default.
	Getter *getter.Getter
	// Store, when set, persists task states and driver handles.
	Store taskrunner.StateStore
	// Restored is what an earlier agent persisted of the allocation's
	// tasks, by task name; nil for an allocation new to this client.
	Restored map[string]*state.TaskRecord
	// Clock times deployment health (min_healthy_time, healthy_deadline);
	// nil for the system clock.
	Clock Clock
	// Catalog is read by the tasks' templates; nil disables them.
	Catalog template.RPCer
	// ChecksHealthy reports whether every service check of an allocation
	// passes, and whether all of them have reported yet; it backs
	// health_check = "checks". Nil judges by task states alone.
	ChecksHealthy func(allocID string) (healthy, known bool)
	// Deregister takes the allocation's instances of task's services
	// ("" for the group's) out of the service catalog and returns once
	// the servers answered. A server stop calls it before each
	// shutdown_delay and kill (shutdown.go), from the runner's stop
	// goroutine. Nil when nothing registers services.
	Deregister func(task string)
}

// AllocRunner runs one allocation. Run is called once, in its own
// goroutine; the other methods are safe for concurrent use.
type AllocRunner struct {
	cfg      *Config
	logger   hclog.Logger
	allocDir *allocdir.AllocDir
	tg       *structs.TaskGroup

	// tasks is fixed after New; setupStates holds tasks that never got a
	// runner because setup failed.
	tasks []*taskrunner.TaskRunner
	gates *gates
	poke  chan struct{}
	// laterTasks names the poststart and poststop tasks.
	laterTasks  map[string]bool
	waitCh      chan struct{}
	detaching   chan struct{}
	detachOnce  sync.Once
	destroyOnce sync.Once
	updateMu    sync.Mutex
	// stopOnce starts the server-requested stop once; killNow closes on
	// Kill or Destroy and cuts a shutdown_delay short.
	stopOnce    sync.Once
	killNow     chan struct{}
	killNowOnce sync.Once
	// skipDelay closes once the server marks the allocation to skip its
	// shutdown_delay (job stop -no-shutdown-delay), before or during a
	// delay.
	skipDelay     chan struct{}
	skipDelayOnce sync.Once

	mu          sync.Mutex
	alloc       *structs.Allocation
	setupStates map[string]*structs.TaskState
	// stopping is set once tasks are being killed, so no later lifecycle
	// phase starts.
	stopping bool
	// health is the deployment health watch (health_watcher.go).
	health healthState
	clock  Clock
}

// New prepares a runner for cfg.Alloc; nothing runs until Run.
func New(cfg *Config) (*AllocRunner, error) {
	alloc := cfg.Alloc
	if alloc == nil || alloc.Job == nil {
		return nil, errors.New("alloc runner: allocation and its job are required")
	}
	tg := alloc.Job.LookupTaskGroup(alloc.TaskGroup)
	if tg == nil {
		return nil, fmt.Errorf("alloc runner: job %q has no task group %q", alloc.JobID, alloc.TaskGroup)
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func(*structs.Allocation) {}
	}
	ar := &AllocRunner{
		cfg:         cfg,
		logger:      cfg.Logger.Named("alloc_runner").With("alloc_id", alloc.ID),
		allocDir:    allocdir.New(cfg.AllocRoot, alloc.ID),
		tg:          tg,
		gates:       newGates(),
		laterTasks:  make(map[string]bool),
		poke:        make(chan struct{}, 1),
		waitCh:      make(chan struct{}),
		detaching:   make(chan struct{}),
		killNow:     make(chan struct{}),
		skipDelay:   make(chan struct{}),
		alloc:       alloc,
		setupStates: make(map[string]*structs.TaskState),
		clock:       cfg.Clock,
	}
	if ar.clock == nil {
		ar.clock = systemClock{}
	}
	ar.noteTransition(alloc)
	for _, task := range tg.Tasks {
		if task.IsPoststart() || task.IsPoststop() {
			ar.laterTasks[task.Name] = true
		}
		drv, ok := cfg.Drivers[task.Driver]
		if !ok {
			ar.setupStates[task.Name] = failedState(structs.TaskDriverFailure,
				fmt.Sprintf("driver %q is not available on this node", task.Driver))
			continue
		}
		tr, err := taskrunner.New(&taskrunner.Config{
			Logger: ar.logger, Alloc: alloc, Task: task, Driver: drv, AllocDir: ar.allocDir,
			Node: cfg.Node, Region: cfg.Region, OnUpdate: ar.taskStateChanged, Jitter: cfg.Jitter,
			StartGate: ar.gates.ch[phaseOf(task)], Getter: cfg.Getter,
			Store: cfg.Store, RestoredState: restored(cfg, task.Name).State, RestoredHandle: restored(cfg, task.Name).Handle,
			Catalog: cfg.Catalog,
		})
		if err != nil {
			return nil, fmt.Errorf("alloc runner: task %q: %w", task.Name, err)
		}
		ar.tasks = append(ar.tasks, tr)
	}
	return ar, nil
}

func failedState(eventType, msg string) *structs.TaskState {
	now := time.Now()
	return &structs.TaskState{
		State: structs.TaskStateDead, Failed: true, FinishedAt: now,
		Events: []*structs.TaskEvent{{Type: eventType, Time: now.UnixNano(), DisplayMessage: msg, Message: msg, FailsTask: true}},
	}
}

// Run builds the allocation directory and runs the tasks until all are
// dead or the runner is detached.
func (ar *AllocRunner) Run() {
	defer close(ar.waitCh)
	ar.mu.Lock()
	alloc := ar.alloc
	ar.mu.Unlock()
	// Watching starts first, so a setup failure is judged unhealthy too.
	ar.watchHealth(alloc)
	if len(ar.setupStates) > 0 {
		ar.failSetup("a task's driver is missing")
		return
	}
	names := make([]string, len(ar.tg.Tasks))
	for i, t := range ar.tg.Tasks {
		names[i] = t.Name
	}
	if err := ar.allocDir.Build(names); err != nil {
		ar.logger.Error("failed to build alloc dir", "error", err)
		ar.mu.Lock()
		for _, n := range names {
			ar.setupStates[n] = failedState(structs.TaskSetupFailure, err.Error())
		}
		ar.mu.Unlock()
		ar.failSetup(err.Error())
		return
	}
	if ar.Alloc().ServerTerminalStatus() {
		ar.killAll(nil)
	}
	var wg sync.WaitGroup
	for _, tr := range ar.tasks {
		wg.Add(2)
		go func() { defer wg.Done(); tr.Run() }()
		go func() { defer wg.Done(); ar.watchTask(tr) }()
	}
	done := make(chan struct{})
	coordinated := make(chan struct{})
	go func() { defer close(coordinated); ar.coordinate(done) }()
	wg.Wait()
	close(done)
	<-coordinated
	ar.logger.Debug("allocation finished", "client_status", ar.Alloc().ClientStatus)
}

// failSetup reports an allocation none of whose tasks could run. Tasks
// that did get a runner are marked as never started.
func (ar *AllocRunner) failSetup(reason string) {
	ar.logger.Warn("allocation setup failed", "reason", reason)
	ar.mu.Lock()
	for _, tr := range ar.tasks {
		if _, ok := ar.setupStates[tr.Name()]; !ok {
			st := tr.State()
			st.State, st.FinishedAt = structs.TaskStateDead, time.Now()
			ar.setupStates[tr.Name()] = st
		}
	}
	ar.mu.Unlock()
	ar.taskStateChanged()
}

// watchTask enforces the group rules when a task dies: a dead leader or a
// failed task takes its siblings down.
func (ar *AllocRunner) watchTask(tr *taskrunner.TaskRunner) {
	select {
	case <-tr.WaitCh():
	case <-ar.detaching:
		return
	}
	st := tr.State()
	if st.State != structs.TaskStateDead {
		return // detached, not dead
	}
	switch {
	case tr.IsLeader():
		ar.killOthers(tr, taskrunner.LeaderDeadEvent)
	case st.Failed:
		ar.killOthers(tr, func() *structs.TaskEvent { return taskrunner.SiblingFailedEvent(tr.Name()) })
	}
}

// killOthers stops every task but dead and the poststop tasks, which run
// once the main tasks are gone.
func (ar *AllocRunner) killOthers(dead *taskrunner.TaskRunner, cause func() *structs.TaskEvent) {
	ar.setStopping()
	for _, other := range ar.tasks {
		if other != dead && !other.Task().IsPoststop() {
			other.Kill(cause())
		}
	}
}

// killAll stops every task, poststop tasks included, for a runner that is
// going away, without waiting for shutdown delays.
func (ar *AllocRunner) killAll(cause *structs.TaskEvent) {
	ar.killNowOnce.Do(func() { close(ar.killNow) })
	ar.setStopping()
	for _, tr := range ar.tasks {
		tr.Kill(cause)
	}
}

func (ar *AllocRunner) setStopping() {
	ar.mu.Lock()
	ar.stopping = true
	ar.mu.Unlock()
}

// Update takes a newer version of the allocation from the server and stops
// the tasks when the server wants it stopped.
func (ar *AllocRunner) Update(alloc *structs.Allocation) {
	ar.mu.Lock()
	if alloc.Job == nil {
		// The server may omit an unchanged job; keep ours.
		cp := *alloc
		cp.Job = ar.alloc.Job
		alloc = &cp
	}
	ar.alloc = alloc
	ar.mu.Unlock()
	// Before the stop below, so its first delay is already skipped.
	ar.noteTransition(alloc)
	ar.watchHealth(alloc)
	if alloc.ServerTerminalStatus() {
		ar.logger.Debug("server stopped allocation", "desired_status", alloc.DesiredStatus, "reason", alloc.DesiredDescription)
		ar.stopForServer()
	}
	ar.taskStateChanged()
}

// Kill stops every task, poststop tasks included, without waiting; WaitCh
// closes once they are dead.
func (ar *AllocRunner) Kill() { ar.killAll(nil) }

// Destroy stops every task, waits for them, and removes the allocation
// directory. It blocks until done.
func (ar *AllocRunner) Destroy() error {
	var err error
	ar.destroyOnce.Do(func() {
		ar.killAll(nil)
		<-ar.waitCh
		ar.stopHealth()
		err = ar.allocDir.Destroy()
	})
	return err
}

// Detach makes the runner stop watching its tasks without stopping them,
// for an agent that shuts down but leaves workloads running.
func (ar *AllocRunner) Detach() {
	ar.detachOnce.Do(func() {
		ar.stopHealth()
		close(ar.detaching)
		for _, tr := range ar.tasks {
			tr.Detach()
		}
	})
}

// WaitCh is closed when Run returns.
func (ar *AllocRunner) WaitCh() <-chan struct{} { return ar.waitCh }

// AllocDir is the allocation's directory.
func (ar *AllocRunner) AllocDir() *allocdir.AllocDir { return ar.allocDir }

// TaskDead reports whether the named task is dead; ok is false for a task
// the allocation does not have.
func (ar *AllocRunner) TaskDead(task string) (dead, ok bool) {
	if ar.tg.LookupTask(task) == nil {
		return false, false
	}
	st := ar.taskStates()[task]
	return st != nil && st.State == structs.TaskStateDead, true
}

func (ar *AllocRunner) taskStateChanged() {
	select {
	case ar.poke <- struct{}{}:
	default: // a wake-up is already pending; it will see this change too
	}
	ar.pokeHealth()
	// Task runners report from their own goroutines; taking the snapshot
	// and delivering it under one lock keeps a slower, older snapshot from
	// landing after a newer one and being the last state reported.
	ar.updateMu.Lock()
	defer ar.updateMu.Unlock()
	ar.cfg.OnUpdate(ar.Alloc())
}
