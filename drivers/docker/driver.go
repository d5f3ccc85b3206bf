package docker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
)

const (
	// Name is the driver name used in jobspecs and node attributes.
	Name = "docker"
	// Version of this driver, reported by PluginInfo.
	Version = "0.1.0"

	// Nomad's defaults for a task without a logs block.
	defaultLogMaxFiles  = 10
	defaultLogMaxSizeMB = 10

	// apiTimeout bounds a single engine call that should answer at once
	// (inspect, kill, remove); a wedged engine must not wedge the client.
	apiTimeout = 30 * time.Second
)

// Driver is the docker driver. It is safe for concurrent use.
type Driver struct {
	logger hclog.Logger
	mhz    float64
	pulls  pullGroup

	mu     sync.RWMutex
	cfg    *pluginConfig
	docker *client.Client
	tasks  map[string]*taskHandle
}

var _ sdk.Driver = (*Driver)(nil)

// New returns a docker driver with the default plugin config, logging to
// logger. It does not contact the engine; Fingerprint reports whether it
// is reachable.
func New(logger hclog.Logger) *Driver {
	return &Driver{
		logger: logger.Named(Name),
		mhz:    cpuMHz(),
		cfg:    defaultPluginConfig(),
		tasks:  make(map[string]*taskHandle),
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
	cli, err := newDockerClient(pc.Endpoint)
	if err != nil {
		return err
	}
	d.mu.Lock()
	old := d.docker
	d.cfg, d.docker = pc, cli
	d.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	d.logger.Debug("configured", "enabled", pc.Enabled, "endpoint", cli.DaemonHost(), "fingerprint_interval", pc.FingerprintInterval.String(),
		"allow_privileged", pc.AllowPrivileged, "volumes_enabled", pc.VolumesEnabled)
	return nil
}

// errDisabled is what StartTask reports when the operator turned the
// driver off.
var errDisabled = fmt.Errorf(`%s: driver is disabled on this client (plugin %q { config { enabled = false } })`, Name, Name)

func (d *Driver) enabled() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.cfg.Enabled
}

func newDockerClient(endpoint string) (*client.Client, error) {
	// The engine here may be older than this client library; negotiating
	// keeps every call within what it understands.
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if endpoint != "" {
		opts = append(opts, client.WithHost(endpoint))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker: engine client for endpoint %q: %w", endpoint, err)
	}
	return cli, nil
}

// client returns the engine client and plugin config, creating a client
// with the defaults when SetConfig was never called.
func (d *Driver) client() (*client.Client, *pluginConfig, error) {
	d.mu.RLock()
	cli, pc := d.docker, d.cfg
	d.mu.RUnlock()
	if cli != nil {
		return cli, pc, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.docker == nil {
		cli, err := newDockerClient(d.cfg.Endpoint)
		if err != nil {
			return nil, nil, err
		}
		d.docker = cli
	}
	return d.docker, d.cfg, nil
}

func (d *Driver) StartTask(cfg *sdk.TaskConfig) (*sdk.TaskHandle, error) {
	if cfg == nil || cfg.ID == "" {
		return nil, errors.New("docker: start task: task config with an ID is required")
	}
	if _, err := d.handle(cfg.ID); err == nil {
		return nil, fmt.Errorf("docker: task %q is already started", cfg.ID)
	}
	if !d.enabled() {
		return nil, errDisabled
	}
	tc, err := ParseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	cli, pc, err := d.client()
	if err != nil {
		return nil, err
	}
	if err := checkHostAccess(cfg, tc, pc); err != nil {
		return nil, err
	}
	logger := d.logger.With("task_id", cfg.ID)
	img, err := d.ensureImage(cli, pc, tc, logger)
	if err != nil {
		return nil, err
	}
	spec, err := buildContainerSpec(cfg, tc)
	if err != nil {
		return nil, err
	}
	logs, err := openTaskLogs(cfg)
	if err != nil {
		return nil, err
	}
	id, err := d.createContainer(cli, spec, logger)
	if err != nil {
		logs.close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	startedAt := time.Now()
	err = cli.ContainerStart(ctx, id, container.StartOptions{})
	cancel()
	if err != nil {
		logs.close()
		d.removeQuietly(cli, id, logger)
		return nil, fmt.Errorf("docker: start container for task %q (image %s): %w", cfg.Name, tc.Image, err)
	}

	ds := &driverState{ContainerID: id, Image: tc.Image, StartedAt: startedAt}
	if img.Config != nil {
		ds.StopSignal = img.Config.StopSignal
	}
	state, err := ds.encode()
	if err != nil {
		logs.close()
		d.removeQuietly(cli, id, logger)
		return nil, err
	}
	h := newTaskHandle(cfg, ds, logger.With("container_id", shortID(id)))
	d.mu.Lock()
	if _, dup := d.tasks[cfg.ID]; dup {
		d.mu.Unlock()
		logs.close()
		d.removeQuietly(cli, id, logger)
		return nil, fmt.Errorf("docker: task %q is already started", cfg.ID)
	}
	d.tasks[cfg.ID] = h
	d.mu.Unlock()
	h.run(cli, logs, time.Time{})

	logger.Debug("task started", "container_id", shortID(id), "image", tc.Image)
	return &sdk.TaskHandle{
		Version:     handleVersion,
		Config:      cfg,
		State:       sdk.TaskStateRunning,
		DriverState: state,
	}, nil
}

// createContainer creates the task's container. A container of the same
// name left by an earlier run of this allocation's task (an agent that
// lost its state, a plugin killed between create and start) is removed
// and creation retried once; a same-named container orch does not manage
// is left alone.
func (d *Driver) createContainer(cli *client.Client, spec *containerSpec, logger hclog.Logger) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		resp, err := cli.ContainerCreate(ctx, spec.config, spec.host, spec.network, nil, spec.name)
		if err == nil {
			for _, w := range resp.Warnings {
				logger.Warn("engine warning on container create", "warning", w)
			}
			return resp.ID, nil
		}
		if !cerrdefs.IsConflict(err) || attempt > 0 {
			return "", fmt.Errorf("docker: create container %s: %w", spec.name, err)
		}
		old, ierr := cli.ContainerInspect(ctx, spec.name)
		if ierr != nil {
			return "", fmt.Errorf("docker: create container %s: %w", spec.name, err)
		}
		if old.Config == nil || old.Config.Labels[labelManaged] != "true" || old.Config.Labels[labelAllocID] != spec.config.Labels[labelAllocID] {
			return "", fmt.Errorf("docker: create container %s: a container of that name exists and orch does not manage it; remove it or rename it", spec.name)
		}
		logger.Warn("removing a leftover container of this task", "container_id", shortID(old.ID))
		if rerr := cli.ContainerRemove(ctx, old.ID, container.RemoveOptions{Force: true, RemoveVolumes: true}); rerr != nil && !cerrdefs.IsNotFound(rerr) {
			return "", fmt.Errorf("docker: remove leftover container %s: %w", spec.name, rerr)
		}
	}
}

// removeQuietly cleans up a container that never became a task.
func (d *Driver) removeQuietly(cli *client.Client, id string, logger hclog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !cerrdefs.IsNotFound(err) {
		logger.Warn("removing container of a failed start failed", "container_id", shortID(id), "error", err)
	}
}

func (d *Driver) handle(taskID string) (*taskHandle, error) {
	d.mu.RLock()
	h, ok := d.tasks[taskID]
	d.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("docker: task %q: %w", taskID, sdk.ErrTaskNotFound)
	}
	return h, nil
}

func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *sdk.ExitResult, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	return h.waitCtx(ctx), nil
}

func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	cli, _, err := d.client()
	if err != nil {
		return err
	}
	return h.stop(cli, signal, timeout)
}

func (d *Driver) DestroyTask(taskID string, force bool) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if !h.exited() && !force {
		return fmt.Errorf("docker: task %q is still running; stop it first or destroy with force", taskID)
	}
	cli, _, err := d.client()
	if err != nil {
		return err
	}
	if err := h.destroy(cli); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.tasks, taskID)
	d.mu.Unlock()
	return nil
}

func (d *Driver) InspectTask(taskID string) (*sdk.TaskStatus, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	return h.status(), nil
}

func (d *Driver) SignalTask(taskID string, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if signal == "" {
		return fmt.Errorf("docker: signal task %q: a signal name such as SIGHUP is required", taskID)
	}
	if h.exited() {
		return fmt.Errorf("docker: task %q has exited; cannot signal it", taskID)
	}
	cli, _, err := d.client()
	if err != nil {
		return err
	}
	return h.signal(cli, signal)
}

// RecoverTask re-adopts a container started by an earlier plugin process:
// it waits on it again and resumes its logs where the earlier process
// stopped writing them. A container that exited meanwhile is adopted
// too, so WaitTask reports its real exit code.
func (d *Driver) RecoverTask(handle *sdk.TaskHandle) error {
	if handle == nil || handle.Config == nil || handle.Config.ID == "" {
		return errors.New("docker: recover task: handle with a task config and ID is required")
	}
	cfg := handle.Config
	if _, err := d.handle(cfg.ID); err == nil {
		return nil
	}
	if handle.Version != handleVersion {
		return fmt.Errorf("docker: recover task %q: handle version %d, want %d", cfg.ID, handle.Version, handleVersion)
	}
	ds, err := decodeDriverState(handle.DriverState)
	if err != nil {
		return fmt.Errorf("docker: recover task %q: %w", cfg.ID, err)
	}
	cli, _, err := d.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	_, err = cli.ContainerInspect(ctx, ds.ContainerID)
	cancel()
	if cerrdefs.IsNotFound(err) {
		return fmt.Errorf("docker: recover task %q: container %s is gone: %w", cfg.ID, shortID(ds.ContainerID), sdk.ErrTaskNotFound)
	}
	if err != nil {
		return fmt.Errorf("docker: recover task %q: inspect container %s: %w", cfg.ID, shortID(ds.ContainerID), err)
	}
	logs, err := openTaskLogs(cfg)
	if err != nil {
		return fmt.Errorf("docker: recover task %q: %w", cfg.ID, err)
	}
	since := ds.StartedAt
	if logs != nil {
		if pos, ok := logs.pos.load(); ok && pos.After(since) {
			// The engine's since is inclusive; the line at pos is written.
			since = pos.Add(time.Nanosecond)
		}
	}
	logger := d.logger.With("task_id", cfg.ID, "container_id", shortID(ds.ContainerID))
	h := newTaskHandle(cfg, ds, logger)
	d.mu.Lock()
	if _, known := d.tasks[cfg.ID]; known {
		d.mu.Unlock()
		logs.close()
		return nil
	}
	d.tasks[cfg.ID] = h
	d.mu.Unlock()
	h.run(cli, logs, since)
	logger.Info("recovered task", "logs_since", since)
	return nil
}

// shortID is the 12-character container ID the docker CLI shows.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
