package mock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
)

// Name is the driver's name in jobspecs and node attributes.
const Name = "mock_driver"

// Driver is the mock task driver. Its zero value is not usable; call New.
type Driver struct {
	logger hclog.Logger

	mu     sync.Mutex
	tasks  map[string]*taskHandle
	config *sdk.PluginConfig
	// health and healthChanged let tests flip the driver's fingerprint;
	// healthChanged is closed and replaced on every change so each
	// Fingerprint stream wakes up.
	health        sdk.HealthState
	healthDesc    string
	healthChanged chan struct{}
	signals       map[string][]string
}

var _ sdk.Driver = (*Driver)(nil)

// New returns a healthy mock driver.
func New(logger hclog.Logger) *Driver {
	return &Driver{
		logger:        logger.Named(Name),
		tasks:         make(map[string]*taskHandle),
		health:        sdk.HealthStateHealthy,
		healthDesc:    "Healthy",
		healthChanged: make(chan struct{}),
		signals:       make(map[string][]string),
	}
}

// PluginInfo names the driver.
func (d *Driver) PluginInfo() (*sdk.PluginInfo, error) {
	return &sdk.PluginInfo{Name: Name, Version: "0.1.0"}, nil
}

// SetConfig accepts any agent configuration: the mock has no settings.
func (d *Driver) SetConfig(cfg *sdk.PluginConfig) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.config = cfg
	return nil
}

// SetHealth changes the health every Fingerprint stream reports next, so
// tests can see a node react to a driver turning unhealthy.
func (d *Driver) SetHealth(state sdk.HealthState, desc string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.health, d.healthDesc = state, desc
	close(d.healthChanged)
	d.healthChanged = make(chan struct{})
}

func (d *Driver) fingerprint() (*sdk.Fingerprint, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fp := &sdk.Fingerprint{Health: d.health, HealthDescription: d.healthDesc}
	if d.health != sdk.HealthStateUndetected {
		fp.Attributes = map[string]string{"driver." + Name: "1"}
	}
	return fp, d.healthChanged
}

// Fingerprint reports the current health at once and again on each
// SetHealth.
func (d *Driver) Fingerprint(ctx context.Context) (<-chan *sdk.Fingerprint, error) {
	ch := make(chan *sdk.Fingerprint)
	go func() {
		defer close(ch)
		for {
			fp, changed := d.fingerprint()
			select {
			case ch <- fp:
			case <-ctx.Done():
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

// StartTask simulates starting a task as its config describes.
func (d *Driver) StartTask(cfg *sdk.TaskConfig) (*sdk.TaskHandle, error) {
	tc, err := parseTaskConfig(cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("mock_driver: %w", err)
	}
	if tc.startBlockFor > 0 {
		time.Sleep(tc.startBlockFor) // simulates a slow start, the behaviour under test
	}
	if tc.startError != "" {
		return nil, errors.New(tc.startError)
	}
	if err := writeLogs(cfg, tc); err != nil {
		return nil, fmt.Errorf("mock_driver: %w", err)
	}
	h := newTaskHandle(cfg, tc)
	d.mu.Lock()
	if _, dup := d.tasks[cfg.ID]; dup {
		d.mu.Unlock()
		return nil, fmt.Errorf("mock_driver: task %q already started", cfg.ID)
	}
	d.tasks[cfg.ID] = h
	d.mu.Unlock()
	go h.run()
	d.logger.Debug("task started", "task_id", cfg.ID, "run_for", tc.runFor, "forever", tc.runForever)
	return &sdk.TaskHandle{Version: 1, Config: cfg, State: sdk.TaskStateRunning}, nil
}

// writeLogs creates both log files, as a real driver does when it starts a
// process, so log readers find them even when the task prints nothing.
func writeLogs(cfg *sdk.TaskConfig, tc *taskConfig) error {
	if cfg.LogDisabled || cfg.StdoutPath == "" {
		return nil
	}
	for path, data := range map[string]string{cfg.StdoutPath + ".0": tc.stdoutString, cfg.StderrPath + ".0": ""} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("create log dir: %w", err)
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("open log file: %w", err)
		}
		_, werr := f.WriteString(data)
		if err := errors.Join(werr, f.Close()); err != nil {
			return fmt.Errorf("write log file %s: %w", path, err)
		}
	}
	return nil
}

func (d *Driver) handle(taskID string) (*taskHandle, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h, ok := d.tasks[taskID]
	if !ok {
		return nil, fmt.Errorf("mock_driver: %s: %w", taskID, sdk.ErrTaskNotFound)
	}
	return h, nil
}

// WaitTask yields the task's exit result once it ends.
func (d *Driver) WaitTask(ctx context.Context, taskID string) (<-chan *sdk.ExitResult, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	ch := make(chan *sdk.ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-h.doneCh:
			ch <- h.status().ExitResult
		case <-ctx.Done():
		}
	}()
	return ch, nil
}

// StopTask asks the task to end; it returns without waiting, like a
// signal, and WaitTask reports the outcome.
func (d *Driver) StopTask(taskID string, timeout time.Duration, signal string) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if signal != "" {
		if _, ok := signalNumbers[signal]; !ok {
			return fmt.Errorf("mock_driver: unknown signal %q", signal)
		}
	}
	h.stop(signal, timeout)
	return nil
}

// DestroyTask forgets the task, killing it first when force is set.
func (d *Driver) DestroyTask(taskID string, force bool) error {
	h, err := d.handle(taskID)
	if err != nil {
		return err
	}
	if !h.exited() {
		if !force {
			return fmt.Errorf("mock_driver: task %q is still running; stop it or destroy with force", taskID)
		}
		h.kill()
		<-h.doneCh
	}
	d.mu.Lock()
	delete(d.tasks, taskID)
	delete(d.signals, taskID)
	d.mu.Unlock()
	return nil
}

// InspectTask reports the task's state.
func (d *Driver) InspectTask(taskID string) (*sdk.TaskStatus, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	return h.status(), nil
}

// TaskStats reports an idle task every interval until ctx is done or the
// task ends.
func (d *Driver) TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *sdk.TaskResourceUsage, error) {
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		return nil, fmt.Errorf("mock_driver: stats interval must be positive, got %v", interval)
	}
	ch := make(chan *sdk.TaskResourceUsage)
	go func() {
		defer close(ch)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-h.doneCh:
				return
			case now := <-tick.C:
				select {
				case ch <- &sdk.TaskResourceUsage{Timestamp: now.UnixNano()}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return ch, nil
}

// SignalTask records the signal; the simulated task ignores it.
func (d *Driver) SignalTask(taskID string, signal string) error {
	if _, err := d.handle(taskID); err != nil {
		return err
	}
	if _, ok := signalNumbers[signal]; !ok {
		return fmt.Errorf("mock_driver: unknown signal %q", signal)
	}
	d.mu.Lock()
	d.signals[taskID] = append(d.signals[taskID], signal)
	d.mu.Unlock()
	return nil
}

// Signals returns the signals SignalTask delivered to a task, in order.
func (d *Driver) Signals(taskID string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.signals[taskID]...)
}

// RecoverTask succeeds only for a task this driver instance still runs:
// simulated tasks do not outlive the process.
func (d *Driver) RecoverTask(handle *sdk.TaskHandle) error {
	if handle == nil || handle.Config == nil {
		return errors.New("mock_driver: recover: handle has no task config")
	}
	_, err := d.handle(handle.Config.ID)
	return err
}
