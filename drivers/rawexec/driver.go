package rawexec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/sdk/logfifo"
	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

const (
	// Name is the driver name used in jobspecs and node attributes.
	Name = "raw_exec"
	// Version of this driver, reported by PluginInfo.
	Version = "0.1.0"

	defaultStatsInterval = time.Second
	// procTableMaxAge lets the stats streams of many tasks share one
	// /proc scan; it is well under any sensible stats interval.
	procTableMaxAge = 250 * time.Millisecond
)

// Driver is the raw_exec driver. It is safe for concurrent use.
type Driver struct {
	logger hclog.Logger
	procs  *procTable
	mhz    float64

	mu      sync.RWMutex
	enabled bool
	tasks   map[string]*taskHandle
}

var _ sdk.Driver = (*Driver)(nil)

// New returns an enabled raw_exec driver logging to logger.
func New(logger hclog.Logger) *Driver {
	return &Driver{
		logger:  logger.Named(Name),
		procs:   newProcTable(procTableMaxAge),
		mhz:     taskproc.CPUMHz(),
		enabled: true,
		tasks:   make(map[string]*taskHandle),
	}
}

func (d *Driver) PluginInfo() (*sdk.PluginInfo, error) {
	return &sdk.PluginInfo{Name: Name, Version: Version}, nil
}

func (d *Driver) SetConfig(cfg *sdk.PluginConfig) error {
	var raw map[string]interface{}
	if cfg != nil {
		raw = cfg.Config
	}
	pc, err := parsePluginConfig(raw)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.enabled = pc.Enabled
	d.mu.Unlock()
	d.logger.Debug("configured", "enabled", pc.Enabled)
	return nil
}

func (d *Driver) isEnabled() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.enabled
}

// Fingerprint sends one report: nothing raw_exec depends on changes while
// the plugin runs, so the stream then stays quiet until ctx ends.
func (d *Driver) Fingerprint(ctx context.Context) (<-chan *sdk.Fingerprint, error) {
	fp := &sdk.Fingerprint{
		Attributes:        map[string]string{"driver." + Name: "1"},
		Health:            sdk.HealthStateHealthy,
		HealthDescription: "healthy",
	}
	if !d.isEnabled() {
		fp = &sdk.Fingerprint{
			Health:            sdk.HealthStateUndetected,
			HealthDescription: "disabled in the agent's plugin \"raw_exec\" config",
		}
	}
	ch := make(chan *sdk.Fingerprint, 1)
	ch <- fp
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch, nil
}

func (d *Driver) StartTask(cfg *sdk.TaskConfig) (*sdk.TaskHandle, error) {
	if cfg == nil || cfg.ID == "" {
		return nil, errors.New("raw_exec: start task: task config with an ID is required")
	}
	if !d.isEnabled() {
		return nil, errors.New(`raw_exec: driver is disabled on this client (plugin "raw_exec" { config { enabled = false } })`)
	}
	if len(cfg.Mounts) > 0 {
		// As in Nomad: raw_exec has no filesystem isolation to mount a
		// volume into, and the task can reach the host path directly.
		return nil, fmt.Errorf("raw_exec: task driver %q for %q does not support host volumes: use the exec or docker driver, or read the host path directly", Name, cfg.Name)
	}
	d.mu.RLock()
	_, dup := d.tasks[cfg.ID]
	d.mu.RUnlock()
	if dup {
		return nil, fmt.Errorf("raw_exec: task %q is already started", cfg.ID)
	}
	cmd, err := d.command(cfg)
	if err != nil {
		return nil, err
	}
	logger := d.logger.With("task_id", cfg.ID)
	h, err := d.launch(cmd, cfg, logger)
	if err != nil {
		return nil, err
	}
	state, err := (&driverState{
		Pid: h.pid, StartTime: h.startTime, StartedAt: h.startedAt,
		StdoutFIFO: h.fifos[0], StderrFIFO: h.fifos[1],
	}).encode()
	if err != nil {
		return nil, err
	}

	d.mu.Lock()
	if _, dup := d.tasks[cfg.ID]; dup {
		d.mu.Unlock()
		h.killGroup()
		return nil, fmt.Errorf("raw_exec: task %q is already started", cfg.ID)
	}
	d.tasks[cfg.ID] = h
	d.mu.Unlock()

	logger.Debug("task started", "pid", h.pid, "command", cmd.Path)
	return &sdk.TaskHandle{
		Version:     handleVersion,
		Config:      cfg,
		State:       sdk.TaskStateRunning,
		DriverState: state,
	}, nil
}

// command builds the task's process, not yet started.
func (d *Driver) command(cfg *sdk.TaskConfig) (*exec.Cmd, error) {
	tc, err := ParseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	path, err := resolveCommand(tc.Command, cfg.TaskDir, cfg.Env)
	if err != nil {
		return nil, err
	}
	cred, err := credential(cfg.User)
	if err != nil {
		return nil, err
	}
	return &exec.Cmd{
		Path: path,
		Args: append([]string{tc.Command}, tc.Args...),
		Env:  taskproc.Env(cfg.Env),
		Dir:  cfg.TaskDir,
		// Its own process group lets stop reach every process the task
		// spawns, and keeps a Ctrl-C at the agent's terminal from reaching
		// tasks. No Pdeathsig: tasks outlive a plugin restart on purpose.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Credential: cred},
	}, nil
}

// launch starts cmd with its output going through FIFOs into rotated log
// files and returns the handle with its waiter running. FIFOs rather than
// pipes, so that the task neither dies of SIGPIPE nor loses output when
// this plugin process does (see drivers/sdk/logfifo).
func (d *Driver) launch(cmd *exec.Cmd, cfg *sdk.TaskConfig, logger hclog.Logger) (*taskHandle, error) {
	out, err := logfifo.OpenOutput(logger, Name, cfg)
	if err != nil {
		return nil, err
	}
	if out.Stdout != nil {
		cmd.Stdout, cmd.Stderr = out.Stdout, out.Stderr
	}
	startedAt := time.Now()
	if err := cmd.Start(); err != nil {
		out.Abandon()
		return nil, fmt.Errorf("raw_exec: start %s: %w", cmd.Path, err)
	}
	out.Started()
	// Not yet reaped, so /proc still has the process even if it exited.
	st, err := taskproc.ReadStat(cmd.Process.Pid)
	if err != nil {
		logger.Warn("reading task start time failed; recovery will not detect pid reuse", "pid", cmd.Process.Pid, "error", err)
		st = &taskproc.Stat{}
	}
	h := &taskHandle{
		id:        cfg.ID,
		name:      cfg.Name,
		pid:       cmd.Process.Pid,
		startTime: st.StartTime,
		startedAt: startedAt,
		fifos:     []string{out.StdoutFIFO, out.StderrFIFO},
		logger:    logger,
		exit:      taskproc.NewExit(),
	}
	go h.waitChild(cmd.Process)
	return h, nil
}

func (d *Driver) handle(taskID string) (*taskHandle, error) {
	d.mu.RLock()
	h, ok := d.tasks[taskID]
	d.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("raw_exec: task %q: %w", taskID, sdk.ErrTaskNotFound)
	}
	return h, nil
}

func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *sdk.ExitResult, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	return h.exit.Wait(ctx), nil
}

func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	sig, err := taskproc.StopSignal(Name, signal)
	if err != nil {
		return err
	}
	h.logger.Debug("stopping task", "signal", sig.String(), "timeout", timeout)
	return h.stop(sig, timeout)
}

func (d *Driver) DestroyTask(taskID string, force bool) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if !h.exit.Exited() {
		if !force {
			return fmt.Errorf("raw_exec: task %q is still running; stop it first or destroy with force", taskID)
		}
		if err := h.stop(syscall.SIGKILL, 0); err != nil {
			return err
		}
	}
	// Whatever the task left running in its group goes with it.
	h.killGroup()
	d.mu.Lock()
	delete(d.tasks, taskID)
	d.mu.Unlock()
	if err := logfifo.RemoveFIFOs(h.fifos...); err != nil {
		h.logger.Warn("removing task output FIFOs failed", "error", err)
	}
	return nil
}

func (d *Driver) InspectTask(taskID string) (*sdk.TaskStatus, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	return h.exit.Status(h.id, h.name, h.startedAt), nil
}

func (d *Driver) SignalTask(taskID string, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	sig, err := taskproc.ParseSignal(Name, signal)
	if err != nil {
		return err
	}
	if h.exit.Exited() {
		return fmt.Errorf("raw_exec: task %q has exited; cannot signal it", taskID)
	}
	return h.signal(sig)
}

// RecoverTask re-adopts a task this plugin process did not start, after
// the plugin itself restarted, and resumes copying its output from the
// FIFOs the old plugin created. The task is not our child, so its exit
// status is lost.
func (d *Driver) RecoverTask(handle *sdk.TaskHandle) error {
	if handle == nil || handle.Config == nil || handle.Config.ID == "" {
		return errors.New("raw_exec: recover task: handle with a task config and ID is required")
	}
	id := handle.Config.ID
	d.mu.RLock()
	_, known := d.tasks[id]
	d.mu.RUnlock()
	if known {
		return nil
	}
	if handle.Version != handleVersion {
		return fmt.Errorf("raw_exec: recover task %q: handle version %d, want %d", id, handle.Version, handleVersion)
	}
	ds, err := decodeDriverState(handle.DriverState)
	if err != nil {
		return fmt.Errorf("raw_exec: recover task %q: %w", id, err)
	}
	if !taskproc.SameProcess(ds.Pid, ds.StartTime) {
		return fmt.Errorf("raw_exec: recover task %q: pid %d is gone: %w", id, ds.Pid, sdk.ErrTaskNotFound)
	}
	h := &taskHandle{
		id:        id,
		name:      handle.Config.Name,
		pid:       ds.Pid,
		startTime: ds.StartTime,
		startedAt: ds.StartedAt,
		fifos:     []string{ds.StdoutFIFO, ds.StderrFIFO},
		logger:    d.logger.With("task_id", id),
		exit:      taskproc.NewExit(),
	}
	d.mu.Lock()
	if _, known := d.tasks[id]; known {
		d.mu.Unlock()
		return nil
	}
	d.tasks[id] = h
	d.mu.Unlock()
	if err := logfifo.Reopen(h.logger, Name, handle.Config, ds.StdoutFIFO, ds.StderrFIFO); err != nil {
		// The task runs on; only its output from now on is lost.
		h.logger.Warn("resuming task output failed", "error", err)
	}
	go h.pollRecovered()
	h.logger.Info("recovered task", "pid", ds.Pid)
	return nil
}

func (d *Driver) TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *sdk.TaskResourceUsage, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = defaultStatsInterval
	}
	out := make(chan *sdk.TaskResourceUsage, 1)
	go d.streamStats(ctx, h, interval, out)
	return out, nil
}

// streamStats samples the task's process group every interval until ctx
// ends or the task exits. CPU percent is over the last interval, so the
// first sample reports zero.
func (d *Driver) streamStats(ctx context.Context, h *taskHandle, interval time.Duration, out chan<- *sdk.TaskResourceUsage) {
	defer close(out)
	t := time.NewTicker(interval)
	defer t.Stop()
	var prev sample
	for {
		cur, err := d.sample(h.pid)
		switch {
		case err != nil:
			h.logger.Warn("sampling task resource usage failed", "error", err)
		case cur.at.Equal(prev.at):
			// The shared scan is not older than procTableMaxAge yet: the
			// same numbers again would read as zero CPU.
		default:
			select {
			case out <- cur.usage(prev, d.mhz):
			case <-ctx.Done():
				return
			}
			prev = cur
		}
		select {
		case <-ctx.Done():
			return
		case <-h.exit.Done():
			return
		case <-t.C:
		}
	}
}

// sample is the summed usage of a process group at one instant.
type sample struct {
	at                     time.Time
	userTicks, systemTicks uint64
	rssBytes               uint64
	pids                   []int
}

func (d *Driver) sample(pgid int) (sample, error) {
	members, at, err := d.procs.group(pgid)
	if err != nil {
		return sample{}, err
	}
	s := sample{at: at, pids: make([]int, 0, len(members))}
	page := uint64(os.Getpagesize())
	for _, p := range members {
		s.userTicks += p.UTime + p.CUTime
		s.systemTicks += p.STime + p.CSTime
		if p.RSSPages > 0 {
			s.rssBytes += uint64(p.RSSPages) * page
		}
		s.pids = append(s.pids, p.Pid)
	}
	sort.Ints(s.pids)
	return s, nil
}

func (s sample) usage(prev sample, mhz float64) *sdk.TaskResourceUsage {
	u := &sdk.TaskResourceUsage{
		Timestamp:   s.at.UnixNano(),
		CPUUserMS:   float64(s.userTicks) * 1000 / taskproc.ClockTicks,
		CPUSystemMS: float64(s.systemTicks) * 1000 / taskproc.ClockTicks,
		MemoryRSS:   s.rssBytes,
		Pids:        s.pids,
	}
	if !prev.at.IsZero() {
		ticks := float64(s.userTicks+s.systemTicks) - float64(prev.userTicks+prev.systemTicks)
		// A member that exited takes its ticks with it; that is not
		// negative work.
		if elapsed := s.at.Sub(prev.at).Seconds(); ticks > 0 && elapsed > 0 {
			u.CPUPercent = ticks / taskproc.ClockTicks / elapsed * 100
		}
		u.CPUTotalMHz = u.CPUPercent / 100 * mhz
	}
	return u
}
