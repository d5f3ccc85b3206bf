package exec

import (
	"context"
	"fmt"
	"os"
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
	Name = "exec"
	// Version of this driver, reported by PluginInfo.
	Version = "0.1.0"

	defaultStatsInterval = time.Second
)

// Driver is the exec driver. It is safe for concurrent use.
type Driver struct {
	logger hclog.Logger
	mhz    float64
	// cgroups is nil when the host offers none we can use; cgroupErr says
	// why, for the fingerprint and StartTask.
	cgroups   *cgroupSystem
	cgroupErr error

	mu    sync.RWMutex
	cfg   *pluginConfig
	paths []string // chroot paths present on this host
	tasks map[string]*taskHandle
}

var _ sdk.Driver = (*Driver)(nil)

// New returns an exec driver with the default plugin configuration.
func New(logger hclog.Logger) *Driver {
	d := &Driver{
		logger: logger.Named(Name),
		mhz:    taskproc.CPUMHz(),
		tasks:  make(map[string]*taskHandle),
	}
	d.cgroups, d.cgroupErr = detectOwnCgroups()
	pc, _ := parsePluginConfig(nil)
	d.applyConfig(pc)
	return d
}

func detectOwnCgroups() (*cgroupSystem, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("%s: read mounts: %w", Name, err)
	}
	pc, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("%s: read own cgroup: %w", Name, err)
	}
	return detectCgroups(string(mi), string(pc))
}

func (d *Driver) applyConfig(pc *pluginConfig) {
	present, missing := existingPaths(pc.ChrootPaths)
	if len(missing) > 0 {
		d.logger.Debug("chroot paths missing on this host are left out", "paths", missing)
	}
	d.mu.Lock()
	d.cfg, d.paths = pc, present
	d.mu.Unlock()
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
	d.applyConfig(pc)
	d.logger.Debug("configured", "enabled", pc.Enabled, "chroot_paths", pc.ChrootPaths, "default_user", pc.DefaultUser)
	return nil
}

// errDisabled is what StartTask and the fingerprint report when the
// operator turned the driver off.
var errDisabled = fmt.Errorf(`%s: driver is disabled on this client (plugin %q { config { enabled = false } })`, Name, Name)

// unusable says why this client cannot run exec tasks, or nil.
func (d *Driver) unusable() error {
	d.mu.RLock()
	enabled := d.cfg.Enabled
	d.mu.RUnlock()
	if !enabled {
		return errDisabled
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s: the client agent must run as root to create namespaces, mounts and cgroups", Name)
	}
	return d.cgroupErr
}

// Fingerprint sends one report: what exec needs (root, cgroups) does not
// change while the plugin runs, so the stream then stays quiet until ctx
// ends.
func (d *Driver) Fingerprint(ctx context.Context) (<-chan *sdk.Fingerprint, error) {
	fp := &sdk.Fingerprint{
		Attributes:        map[string]string{"driver." + Name: "1"},
		Health:            sdk.HealthStateHealthy,
		HealthDescription: "healthy",
	}
	if err := d.unusable(); err != nil {
		fp = &sdk.Fingerprint{Health: sdk.HealthStateUndetected, HealthDescription: err.Error()}
	} else {
		fp.Attributes["driver."+Name+".cgroup_version"] = fmt.Sprint(d.cgroups.version)
	}
	ch := make(chan *sdk.Fingerprint, 1)
	ch <- fp
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch, nil
}

func (d *Driver) handle(taskID string) (*taskHandle, error) {
	d.mu.RLock()
	h, ok := d.tasks[taskID]
	d.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%s: task %q: %w", Name, taskID, sdk.ErrTaskNotFound)
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

// DestroyTask forgets the task and removes its cgroup and output FIFOs.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if !h.exit.Exited() {
		if !force {
			return fmt.Errorf("%s: task %q is still running; stop it first or destroy with force", Name, taskID)
		}
		if err := h.stop(syscall.SIGKILL, 0); err != nil {
			return err
		}
	}
	d.mu.Lock()
	delete(d.tasks, taskID)
	d.mu.Unlock()
	err = h.cgroup.destroy(cgroupRemoveTimeout)
	if ferr := logfifo.RemoveFIFOs(h.fifos[0], h.fifos[1]); ferr != nil {
		h.logger.Warn("removing task output FIFOs failed", "error", ferr)
	}
	return err
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
		return fmt.Errorf("%s: task %q has exited; cannot signal it", Name, taskID)
	}
	return h.signal(sig)
}

// RecoverTask re-adopts a task this plugin process did not start, after
// the plugin itself restarted: the task's process by pid and start time,
// its cgroup by path, and its output by the FIFOs it still writes to.
func (d *Driver) RecoverTask(handle *sdk.TaskHandle) error {
	if handle == nil || handle.Config == nil || handle.Config.ID == "" {
		return fmt.Errorf("%s: recover task: handle with a task config and ID is required", Name)
	}
	id := handle.Config.ID
	if _, err := d.handle(id); err == nil {
		return nil
	}
	if handle.Version != handleVersion {
		return fmt.Errorf("%s: recover task %q: handle version %d, want %d", Name, id, handle.Version, handleVersion)
	}
	ds, err := decodeDriverState(handle.DriverState)
	if err != nil {
		return fmt.Errorf("%s: recover task %q: %w", Name, id, err)
	}
	if !taskproc.SameProcess(ds.Pid, ds.StartTime) {
		return fmt.Errorf("%s: recover task %q: pid %d is gone: %w", Name, id, ds.Pid, sdk.ErrTaskNotFound)
	}
	logger := d.logger.With("task_id", id)
	h := &taskHandle{
		id: id, name: handle.Config.Name,
		pid: ds.Pid, startTime: ds.StartTime, startedAt: ds.StartedAt,
		cgroup: ds.Cgroup,
		fifos:  [2]string{ds.StdoutFIFO, ds.StderrFIFO},
		logger: logger,
		exit:   taskproc.NewExit(),
	}
	d.mu.Lock()
	if _, known := d.tasks[id]; known {
		d.mu.Unlock()
		return nil
	}
	d.tasks[id] = h
	d.mu.Unlock()
	if err := logfifo.Reopen(logger, Name, handle.Config, ds.StdoutFIFO, ds.StderrFIFO); err != nil {
		logger.Warn("resuming task output failed; further output is lost", "error", err)
	}
	go h.pollRecovered()
	logger.Info("recovered task", "pid", ds.Pid)
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

// streamStats reads the task's cgroup every interval until ctx ends or the
// task exits. CPU percent is over the last interval, so the first sample
// reports zero.
func (d *Driver) streamStats(ctx context.Context, h *taskHandle, interval time.Duration, out chan<- *sdk.TaskResourceUsage) {
	defer close(out)
	t := time.NewTicker(interval)
	defer t.Stop()
	var prev cgroupUsage
	for {
		cur, err := h.cgroup.usage()
		if err != nil {
			h.logger.Warn("reading task resource usage failed", "error", err)
		} else {
			select {
			case out <- resourceUsage(cur, prev, d.mhz):
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

func resourceUsage(cur, prev cgroupUsage, mhz float64) *sdk.TaskResourceUsage {
	u := &sdk.TaskResourceUsage{
		Timestamp:   cur.at.UnixNano(),
		CPUUserMS:   float64(cur.userNS) / 1e6,
		CPUSystemMS: float64(cur.systemNS) / 1e6,
		MemoryRSS:   cur.rss,
		MemoryCache: cur.cache,
		MemorySwap:  cur.swap,
		Pids:        cur.pids,
	}
	if !prev.at.IsZero() && cur.cpuNS >= prev.cpuNS {
		if elapsed := cur.at.Sub(prev.at); elapsed > 0 {
			u.CPUPercent = float64(cur.cpuNS-prev.cpuNS) / float64(elapsed.Nanoseconds()) * 100
		}
		u.CPUTotalMHz = u.CPUPercent / 100 * mhz
	}
	return u
}
