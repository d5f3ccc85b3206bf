package serviceregistration

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/checks"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// RPCer is how the hook reaches the servers.
type RPCer interface {
	RPC(method string, args, reply interface{}) error
}

// Config is what a hook needs.
type Config struct {
	Logger hclog.Logger
	Alloc  *structs.Allocation
	Node   *structs.Node
	Region string
	RPC    RPCer
	// Restart restarts a task for check_restart, counting against its
	// restart policy. Called from the hook's goroutine.
	Restart func(task, reason string) error
	// Exec returns how to run a script check inside task, or nil when
	// the task's driver cannot.
	Exec func(task string) checks.ExecFunc
}

// retryDelay is how soon a failed catalog write is tried again.
const retryDelay = time.Second

// checkState is one check of an instance and what it last reported.
type checkState struct {
	check   *structs.ServiceCheck
	address string
	port    int
	task    string

	status   string
	output   string
	reported bool
	// failures counts results in a row that count for check_restart;
	// graceUntil ignores them after a (re)start of the task.
	failures   int
	graceUntil time.Time
}

type checkResult struct {
	inst, check int
	res         checks.Result
}

// Hook registers one allocation's instances and runs their checks. Run
// is called once in its own goroutine; the other methods are safe for
// concurrent use.
type Hook struct {
	cfg    *Config
	logger hclog.Logger

	poke    chan struct{}
	results chan checkResult
	stopCh  chan struct{}
	doneCh  chan struct{}
	stop    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc

	mu        sync.Mutex
	alloc     *structs.Allocation
	instances []*instance
	// starts is each task's last start time seen, to reset grace on a
	// restart.
	starts map[string]time.Time

	// writeMu serialises catalog writes, so that a status upsert in
	// flight cannot land after (and undo) a Deregister, and guards the
	// registration bookkeeping below, shared by Run and Deregister.
	writeMu    sync.Mutex
	registered map[int]bool
	dirty      map[int]bool
	// gone marks instances Deregister took out (or kept out) of the
	// catalog: they are never registered or upserted again. deleted
	// marks those whose delete the servers acknowledged.
	gone         map[int]bool
	deleted      map[int]bool
	deregistered bool
	// applied counts check results, for tests and debugging.
	applied atomic.Int64
}

// New returns a hook for cfg.Alloc, or nil when its group has no
// services.
func New(cfg *Config) *Hook {
	instances := buildInstances(cfg.Alloc, cfg.Node)
	if len(instances) == 0 {
		return nil
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hook{
		cfg:        cfg,
		logger:     cfg.Logger.Named("services").With("alloc_id", cfg.Alloc.ID),
		poke:       make(chan struct{}, 1),
		results:    make(chan checkResult, 16),
		stopCh:     make(chan struct{}),
		doneCh:     make(chan struct{}),
		ctx:        ctx,
		cancel:     cancel,
		alloc:      cfg.Alloc,
		instances:  instances,
		registered: make(map[int]bool),
		dirty:      make(map[int]bool),
		gone:       make(map[int]bool),
		deleted:    make(map[int]bool),
		starts:     make(map[string]time.Time),
	}
}

// Update hands the hook a newer view of the allocation (client status,
// task states, desired status). It never blocks.
func (h *Hook) Update(alloc *structs.Allocation) {
	h.mu.Lock()
	if alloc.Job == nil {
		cp := *alloc
		cp.Job = h.alloc.Job
		alloc = &cp
	}
	h.alloc = alloc
	h.mu.Unlock()
	select {
	case h.poke <- struct{}{}:
	default:
	}
}

// Run registers, checks and deregisters until Stop.
func (h *Hook) Run() {
	defer close(h.doneCh)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		select {
		case <-h.poke:
			if h.reconcile() {
				return // terminal: deregistered, nothing left to do
			}
		case r := <-h.results:
			h.apply(r)
			h.drainResults()
		case <-retry.C:
		case <-h.stopCh:
			return
		}
		if !h.flush() {
			retry.Reset(retryDelay)
		}
	}
}

func (h *Hook) drainResults() {
	for {
		select {
		case r := <-h.results:
			h.apply(r)
		default:
			return
		}
	}
}

// Stop ends the hook and its checks; deregister removes the instances
// from the catalog (the allocation is gone), otherwise they stay for the
// next agent (shutdown with tasks left running).
func (h *Hook) Stop(deregister bool) {
	h.stop.Do(func() {
		h.cancel()
		close(h.stopCh)
	})
	<-h.doneCh
	if deregister {
		h.deregisterAll()
	}
}

// reconcile registers the instances whose tasks now run and deregisters
// everything once the allocation has finished, which it reports. An
// allocation the servers stopped registers nothing new; its alloc runner
// deregisters its instances (Deregister) in Nomad's order, before each
// shutdown_delay and kill.
func (h *Hook) reconcile() (terminal bool) {
	h.mu.Lock()
	alloc := h.alloc
	h.mu.Unlock()
	if alloc.ClientTerminalStatus() {
		h.cancel()
		h.deregisterAll()
		return true
	}
	now := time.Now()
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	for i, inst := range h.instances {
		h.noteRestarts(inst, alloc, now)
		if h.registered[i] || h.gone[i] || alloc.ServerTerminalStatus() || !ownerRunning(alloc, inst.task) {
			continue
		}
		h.registered[i] = true
		h.dirty[i] = true
		for ci := range inst.checks {
			h.startCheck(i, ci, now)
		}
	}
	return false
}

// ownerRunning: a task service registers when its task runs, a group
// service when any of the group's tasks does.
func ownerRunning(alloc *structs.Allocation, task string) bool {
	for name, st := range alloc.TaskStates {
		if (task == "" || name == task) && st != nil && st.State == structs.TaskStateRunning {
			return true
		}
	}
	return false
}

// noteRestarts restarts the check_restart grace of an instance's checks
// when their task started again.
func (h *Hook) noteRestarts(inst *instance, alloc *structs.Allocation, now time.Time) {
	for _, cs := range inst.checks {
		st := alloc.TaskStates[cs.task]
		if st == nil || cs.check.CheckRestart == nil {
			continue
		}
		started := st.LastRestart
		if started.IsZero() {
			started = st.StartedAt
		}
		if prev, ok := h.starts[cs.task]; ok && started.After(prev) {
			cs.failures = 0
			cs.graceUntil = now.Add(cs.check.CheckRestart.Grace)
		}
		h.starts[cs.task] = started
	}
}

func (h *Hook) startCheck(i, ci int, now time.Time) {
	cs := h.instances[i].checks[ci]
	if cr := cs.check.CheckRestart; cr != nil {
		cs.graceUntil = now.Add(cr.Grace)
	}
	target := checks.Target{Address: cs.address, Port: cs.port}
	if cs.check.Type == structs.ServiceCheckScript && h.cfg.Exec != nil {
		target.Exec = h.cfg.Exec(cs.task)
	}
	check := cs.check
	go func() {
		ticker := time.NewTicker(check.Interval)
		defer ticker.Stop()
		for {
			res := checks.Run(h.ctx, check, target)
			select {
			case h.results <- checkResult{inst: i, check: ci, res: res}:
			case <-h.ctx.Done():
				return
			}
			select {
			case <-ticker.C:
			case <-h.ctx.Done():
				return
			}
		}
	}()
}

// apply records a result, marks its instance for an update when its
// status changed, and restarts the task for check_restart.
func (h *Hook) apply(r checkResult) {
	h.applied.Add(1)
	inst := h.instances[r.inst]
	cs := inst.checks[r.check]
	if cs.status != r.res.Status {
		h.logger.Debug("check status changed", "service", inst.service.Name, "check", cs.check.Name,
			"status", r.res.Status, "output", r.res.Output)
	}
	h.mu.Lock()
	cs.status, cs.output, cs.reported = r.res.Status, r.res.Output, true
	status := inst.status()
	h.mu.Unlock()
	if status != inst.reg.Status {
		inst.reg.Status = status
		h.writeMu.Lock()
		h.dirty[r.inst] = true
		h.writeMu.Unlock()
	}
	h.checkRestart(inst, cs, r.res.Status, time.Now())
}

func (h *Hook) checkRestart(inst *instance, cs *checkState, status string, now time.Time) {
	cr := cs.check.CheckRestart
	if cr == nil || cr.Limit <= 0 || cs.task == "" || now.Before(cs.graceUntil) {
		return
	}
	failing := status == structs.HealthCritical || (status == structs.HealthWarning && !cr.IgnoreWarnings)
	if !failing {
		cs.failures = 0
		return
	}
	cs.failures++
	if cs.failures < cr.Limit {
		return
	}
	cs.failures = 0
	cs.graceUntil = now.Add(cr.Grace)
	reason := fmt.Sprintf("check %q of service %q unhealthy", cs.check.Name, inst.service.Name)
	h.logger.Info("restarting task for failing check", "task", cs.task, "check", cs.check.Name, "limit", cr.Limit)
	if h.cfg.Restart == nil {
		return
	}
	if err := h.cfg.Restart(cs.task, reason); err != nil {
		h.logger.Warn("check restart failed", "task", cs.task, "error", err)
	}
}

// flush sends the changed instances in one upsert; false means it failed
// and must be retried.
func (h *Hook) flush() bool {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	if len(h.dirty) == 0 || h.deregistered {
		return true
	}
	var regs []*structs.ServiceRegistration
	for i := range h.dirty {
		if h.registered[i] && !h.gone[i] {
			regs = append(regs, h.instances[i].reg.Copy())
		}
	}
	if len(regs) == 0 {
		return true
	}
	req := &structs.ServiceRegistrationUpsertRequest{Services: regs, SecretID: h.cfg.Node.SecretID,
		WriteRequest: structs.WriteRequest{Region: h.cfg.Region, Namespace: h.cfg.Alloc.Namespace}}
	var resp structs.GenericResponse
	if err := h.cfg.RPC.RPC(structs.ServiceRegistrationUpsertRPC, req, &resp); err != nil {
		h.logger.Warn("failed to register services", "error", err)
		return false
	}
	clear(h.dirty)
	return true
}

// deregisterAll removes the registered instances not deleted yet.
func (h *Hook) deregisterAll() {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	if h.deregistered {
		return
	}
	h.deregistered = true
	for i := range h.instances {
		h.gone[i] = true
		if h.registered[i] && !h.deleted[i] {
			h.deleteLocked(i)
		}
	}
}

// Deregister takes the instances of task's services ("" for the group's)
// out of the catalog and returns once the servers answered, so that the
// caller can let traffic drain before killing the task (shutdown_delay).
// They are never registered again. It is called by the alloc runner's
// stop sequence, from its own goroutine, and may run concurrently with
// Run; a failed delete is logged and tried again when the allocation
// finishes (and the servers drop the instances with it anyway).
func (h *Hook) Deregister(task string) {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	for i, inst := range h.instances {
		if inst.task != task || h.gone[i] {
			continue
		}
		h.gone[i] = true
		if h.registered[i] && !h.deleted[i] {
			h.deleteLocked(i)
		}
	}
}

// deleteLocked removes one instance; a missing one is already gone (the
// servers dropped it with its allocation). writeMu must be held.
func (h *Hook) deleteLocked(i int) {
	inst := h.instances[i]
	req := &structs.ServiceRegistrationDeleteByIDRequest{ID: inst.reg.ID, SecretID: h.cfg.Node.SecretID,
		WriteRequest: structs.WriteRequest{Region: h.cfg.Region, Namespace: h.cfg.Alloc.Namespace}}
	var resp structs.GenericResponse
	err := h.cfg.RPC.RPC(structs.ServiceRegistrationDeleteRPC, req, &resp)
	if err != nil && !errors.Is(err, structs.ErrNotFound) && !isNotFound(err) {
		h.logger.Warn("failed to deregister service", "service", inst.service.Name, "error", err)
		return
	}
	h.deleted[i] = true
}

// isNotFound matches a not-found error that crossed the RPC wire as text.
func isNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), structs.ErrNotFound.Error())
}

// ChecksHealthy reports whether every check of every instance passes.
// known is false until every instance is registered and every check has
// reported once, and for an allocation without checks: the deployment
// health watcher then falls back to task states.
func (h *Hook) ChecksHealthy() (healthy, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	total := 0
	healthy = true
	for _, inst := range h.instances {
		for _, cs := range inst.checks {
			// on_update, as in Nomad: "ignore" leaves the check out of
			// deployment health, "ignore_warnings" takes a warning as
			// healthy.
			if cs.check.OnUpdate == "ignore" {
				continue
			}
			total++
			if !cs.reported {
				return false, false
			}
			ok := cs.status == structs.HealthPassing ||
				(cs.status == structs.HealthWarning && cs.check.OnUpdate == "ignore_warnings")
			healthy = healthy && ok
		}
	}
	if total == 0 {
		return false, false
	}
	return healthy, true
}
