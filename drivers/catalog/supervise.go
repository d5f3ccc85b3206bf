package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/orch-dev/orch/drivers/sdk"
)

const (
	// defaultPollInterval is how often a supervisor checks that its plugin
	// process lives: cheap (a flag go-plugin sets when the process ends),
	// and short enough that tasks wait little for their plugin to return.
	defaultPollInterval = 200 * time.Millisecond
	// relaunchMin and relaunchMax bound the backoff between failed
	// relaunches of a plugin that dies at once.
	relaunchMin = 500 * time.Millisecond
	relaunchMax = 30 * time.Second
	// stillAliveRecheck is how long a caller that saw a transport error
	// waits for a restart before trying the same plugin again: the error
	// may have come from a hiccup rather than a dead process.
	stillAliveRecheck = time.Second
)

// ErrTaskLost is the error of a task whose plugin died and whose process
// the relaunched plugin could not find.
var ErrTaskLost = errors.New("task not found after driver plugin restart")

// SuperviseConfig configures Supervise.
type SuperviseConfig struct {
	// Name is the driver's name, for logs.
	Name string
	// Instance is the running plugin, launched or reattached.
	Instance *Instance
	// Relaunch starts a new plugin process after the old one died.
	Relaunch func() (*Instance, error)
	// OnRelaunch, if set, is called with every relaunched instance before
	// tasks are recovered in it, so the caller can persist its reattach
	// state.
	OnRelaunch func(*Instance)
	Logger     hclog.Logger
	// PollInterval is how often the process is checked; zero means 200ms.
	PollInterval time.Duration
}

// Supervised is a driver plugin that is relaunched when its process dies,
// with its configuration and tasks restored in the new process. It
// implements sdk.Driver: callers keep one value across plugin restarts.
//
// It remembers the handle of every task started or recovered through it
// until the task is destroyed, so it can recover them in a relaunched
// plugin. WaitTask and Fingerprint streams span restarts: a task's wait
// ends with ErrTaskLost only if the new plugin cannot find the task.
type Supervised struct {
	cfg    SuperviseConfig
	logger hclog.Logger
	stopCh chan struct{}
	wg     sync.WaitGroup

	mu  sync.Mutex
	gen *generation
	// config is the last SetConfig, replayed into relaunched plugins.
	config  *sdk.PluginConfig
	handles map[string]*sdk.TaskHandle
	lost    map[string]error
	stopped bool
}

// generation is one plugin process; replaced is closed once the next one
// serves.
type generation struct {
	inst     *Instance
	replaced chan struct{}
}

var _ sdk.Driver = (*Supervised)(nil)

// Supervise starts watching cfg.Instance.
func Supervise(cfg SuperviseConfig) *Supervised {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = defaultPollInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	s := &Supervised{
		cfg:     cfg,
		logger:  cfg.Logger.Named("plugin_supervisor").With("driver", cfg.Name),
		stopCh:  make(chan struct{}),
		gen:     &generation{inst: cfg.Instance, replaced: make(chan struct{})},
		handles: make(map[string]*sdk.TaskHandle),
		lost:    make(map[string]error),
	}
	s.wg.Add(1)
	go s.watch()
	return s
}

// Instance is the plugin process currently serving.
func (s *Supervised) Instance() *Instance {
	return s.current().inst
}

// Detach stops supervising and leaves the plugin running, for an agent
// that shuts down but expects to reattach.
func (s *Supervised) Detach() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	close(s.stopCh)
	s.mu.Unlock()
	s.wg.Wait()
}

// Kill stops supervising and ends the plugin process.
func (s *Supervised) Kill() {
	s.Detach()
	s.current().inst.Kill()
}

func (s *Supervised) current() *generation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// watch relaunches the plugin whenever its process ends.
func (s *Supervised) watch() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopCh:
			return
		case <-t.C:
		}
		if g := s.current(); g.inst.Exited() {
			s.logger.Warn("driver plugin exited, relaunching", "pid", pidOf(g.inst))
			if !s.relaunch(g) {
				return
			}
		}
	}
}

// relaunch starts a new plugin, replays the config, recovers every known
// task in it and then makes it current. false means supervision stopped.
func (s *Supervised) relaunch(old *generation) bool {
	wait := relaunchMin
	for {
		inst, err := s.cfg.Relaunch()
		if err == nil {
			s.adopt(old, inst)
			return true
		}
		s.logger.Error("relaunching driver plugin failed", "error", err, "retry_in", wait)
		select {
		case <-s.stopCh:
			return false
		case <-time.After(wait):
		}
		wait = min(wait*2, relaunchMax)
	}
}

func (s *Supervised) adopt(old *generation, inst *Instance) {
	if s.cfg.OnRelaunch != nil {
		s.cfg.OnRelaunch(inst)
	}
	s.mu.Lock()
	config := s.config
	handles := make([]*sdk.TaskHandle, 0, len(s.handles))
	for _, h := range s.handles {
		handles = append(handles, h)
	}
	s.mu.Unlock()
	if config != nil {
		if err := inst.Driver.SetConfig(config); err != nil {
			s.logger.Error("configuring relaunched driver plugin failed", "error", err)
		}
	}
	lost := make(map[string]error)
	for _, h := range handles {
		if err := inst.Driver.RecoverTask(h); err != nil {
			s.logger.Warn("task lost with its driver plugin", "task_id", h.Config.ID, "error", err)
			lost[h.Config.ID] = fmt.Errorf("%w: %v", ErrTaskLost, err)
		}
	}
	s.mu.Lock()
	for id, err := range lost {
		s.lost[id] = err
		delete(s.handles, id)
	}
	s.gen = &generation{inst: inst, replaced: make(chan struct{})}
	s.mu.Unlock()
	close(old.replaced)
	s.logger.Info("driver plugin relaunched", "pid", pidOf(inst), "recovered", len(handles)-len(lost), "lost", len(lost))
}

func pidOf(inst *Instance) int {
	if inst.ReattachConfig == nil {
		return 0
	}
	return inst.ReattachConfig.Pid
}

// isTransport reports whether err says the plugin could not be reached,
// as opposed to the driver refusing the call.
func isTransport(err error) bool {
	var gs interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &gs) {
		return false
	}
	c := gs.GRPCStatus().Code()
	return c == codes.Unavailable || c == codes.Internal
}

// died reports whether a call to g that failed with err failed because
// the plugin process is gone.
func died(g *generation, err error) bool {
	return err != nil && (g.inst.Exited() || isTransport(err))
}

// awaitNext blocks until g is replaced, or until it turns out g still runs
// (the error was a hiccup); it returns the generation to use next, or nil
// when ctx ended or supervision stopped.
func (s *Supervised) awaitNext(ctx context.Context, g *generation) *generation {
	for {
		recheck := time.NewTimer(stillAliveRecheck)
		select {
		case <-g.replaced:
			recheck.Stop()
			return s.current()
		case <-ctx.Done():
			recheck.Stop()
			return nil
		case <-s.stopCh:
			recheck.Stop()
			return nil
		case <-recheck.C:
			if !g.inst.Exited() {
				return g
			}
		}
	}
}

// call runs fn against the current plugin and, if the plugin died under
// it, once more against the relaunched one.
func (s *Supervised) call(fn func(d sdk.Driver) error) error {
	g := s.current()
	err := fn(g.inst.Driver)
	if !died(g, err) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), relaunchMax)
	defer cancel()
	next := s.awaitNext(ctx, g)
	if next == nil {
		return err
	}
	return fn(next.inst.Driver)
}

func (s *Supervised) lostErr(taskID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost[taskID]
}

func (s *Supervised) PluginInfo() (*sdk.PluginInfo, error) {
	var info *sdk.PluginInfo
	err := s.call(func(d sdk.Driver) (err error) { info, err = d.PluginInfo(); return err })
	return info, err
}

func (s *Supervised) SetConfig(cfg *sdk.PluginConfig) error {
	s.mu.Lock()
	s.config = cfg
	s.mu.Unlock()
	return s.call(func(d sdk.Driver) error { return d.SetConfig(cfg) })
}

// StartTask is not retried in a relaunched plugin: the dead one may have
// started the task, and a second start would run it twice.
func (s *Supervised) StartTask(cfg *sdk.TaskConfig) (*sdk.TaskHandle, error) {
	h, err := s.current().inst.Driver.StartTask(cfg)
	if err != nil {
		return nil, err
	}
	s.remember(h)
	return h, nil
}

func (s *Supervised) remember(h *sdk.TaskHandle) {
	if h == nil || h.Config == nil {
		return
	}
	s.mu.Lock()
	s.handles[h.Config.ID] = h
	delete(s.lost, h.Config.ID)
	s.mu.Unlock()
}

func (s *Supervised) RecoverTask(h *sdk.TaskHandle) error {
	if err := s.call(func(d sdk.Driver) error { return d.RecoverTask(h) }); err != nil {
		return err
	}
	s.remember(h)
	return nil
}

func (s *Supervised) StopTask(taskID string, timeout time.Duration, signal string) error {
	if err := s.lostErr(taskID); err != nil {
		return fmt.Errorf("stop task %q: %w", taskID, sdk.ErrTaskNotFound)
	}
	return s.call(func(d sdk.Driver) error { return d.StopTask(taskID, timeout, signal) })
}

func (s *Supervised) DestroyTask(taskID string, force bool) error {
	err := s.call(func(d sdk.Driver) error { return d.DestroyTask(taskID, force) })
	if err == nil || errors.Is(err, sdk.ErrTaskNotFound) {
		s.mu.Lock()
		delete(s.handles, taskID)
		delete(s.lost, taskID)
		s.mu.Unlock()
	}
	return err
}

func (s *Supervised) InspectTask(taskID string) (*sdk.TaskStatus, error) {
	var st *sdk.TaskStatus
	err := s.call(func(d sdk.Driver) (err error) { st, err = d.InspectTask(taskID); return err })
	return st, err
}

func (s *Supervised) SignalTask(taskID, signal string) error {
	return s.call(func(d sdk.Driver) error { return d.SignalTask(taskID, signal) })
}

// TaskStats streams from the current plugin only; a stats consumer
// asks again when its stream ends.
func (s *Supervised) TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *sdk.TaskResourceUsage, error) {
	var ch <-chan *sdk.TaskResourceUsage
	err := s.call(func(d sdk.Driver) (err error) { ch, err = d.TaskStats(ctx, taskID, interval); return err })
	return ch, err
}

// ExecTask runs a command in a task of the current plugin.
func (s *Supervised) ExecTask(taskID string, cmd []string, timeout time.Duration) (*sdk.ExecTaskResult, error) {
	var res *sdk.ExecTaskResult
	err := s.call(func(d sdk.Driver) error {
		ed, ok := d.(sdk.ExecTaskDriver)
		if !ok {
			return sdk.ErrExecNotSupported
		}
		var err error
		res, err = ed.ExecTask(taskID, cmd, timeout)
		return err
	})
	return res, err
}
