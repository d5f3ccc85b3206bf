package sdk

import (
	"context"
	"time"
)

// ProtocolVersion is the go-plugin protocol version of driver plugins. It
// changes only when the gRPC service changes incompatibly.
const ProtocolVersion = 1

// Driver is the interface every task driver implements, in process and, via
// the gRPC client in this package, across the plugin boundary. The client's
// task runners call it concurrently from one goroutine per task; a driver
// must be safe for concurrent use.
type Driver interface {
	// PluginInfo names the driver ("raw_exec", "docker", ...).
	PluginInfo() (*PluginInfo, error)

	// SetConfig passes the driver its agent-level configuration (the
	// client's `plugin "NAME" { config { ... } }` block) once, before any
	// other call but PluginInfo.
	SetConfig(cfg *PluginConfig) error

	// Fingerprint streams the driver's health and node attributes; the first
	// value arrives promptly, later ones when something changes. The channel
	// closes when ctx is done.
	Fingerprint(ctx context.Context) (<-chan *Fingerprint, error)

	// StartTask starts a task and returns a handle the client persists to
	// recover the task after an agent restart. Errors of kind
	// ErrTaskNotFound/ErrRecoverable are not retried differently yet; a
	// wrapped error is shown to the user in a task event.
	StartTask(cfg *TaskConfig) (*TaskHandle, error)

	// WaitTask returns a channel that yields the task's exit result once and
	// then closes. It may be called more than once for the same task.
	WaitTask(ctx context.Context, taskID string) (<-chan *ExitResult, error)

	// StopTask sends signal (the driver's default when empty), then kills
	// the task, and its whole process tree, after timeout.
	StopTask(taskID string, timeout time.Duration, signal string) error

	// DestroyTask forgets a task and frees what the driver holds for it.
	// Destroying a running task fails unless force is set, which kills it.
	DestroyTask(taskID string, force bool) error

	// InspectTask reports the task's current status.
	InspectTask(taskID string) (*TaskStatus, error)

	// TaskStats streams resource usage every interval until ctx is done.
	TaskStats(ctx context.Context, taskID string, interval time.Duration) (<-chan *TaskResourceUsage, error)

	// SignalTask delivers a signal ("SIGHUP", ...) to the task.
	SignalTask(taskID string, signal string) error

	// RecoverTask reattaches to a task started before an agent restart,
	// from the handle StartTask returned. It returns ErrTaskNotFound when
	// the task is gone.
	RecoverTask(handle *TaskHandle) error
}

// PluginInfo describes a driver plugin.
type PluginInfo struct {
	Name    string
	Version string
}

// PluginConfig is the agent-level configuration of a driver.
type PluginConfig struct {
	// Config is the decoded `config` block of the driver's plugin stanza.
	Config map[string]interface{}
	// DevMode is set under `orch agent -dev`.
	DevMode bool
}

// HealthState of a driver on a node.
type HealthState string

const (
	HealthStateUndetected HealthState = "undetected"
	HealthStateUnhealthy  HealthState = "unhealthy"
	HealthStateHealthy    HealthState = "healthy"
)

// Fingerprint is a driver's report about itself on this node. Attributes
// become node attributes ("driver.raw_exec" = "1", ...).
type Fingerprint struct {
	Attributes        map[string]string
	Health            HealthState
	HealthDescription string
}

// TaskConfig is everything a driver needs to start a task. Env and Config
// are already interpolated by the client.
type TaskConfig struct {
	// ID is unique per task instance: "<alloc id>/<task name>/<random>".
	ID        string
	JobName   string
	TaskGroup string
	Name      string
	AllocID   string
	Namespace string

	Env  map[string]string
	User string
	// Config is the task's driver-specific config block.
	Config map[string]interface{}

	Resources *Resources

	// AllocDir is the allocation directory; TaskDir is the task's own,
	// holding local/ and secrets/.
	AllocDir string
	TaskDir  string

	// StdoutPath and StderrPath are the base paths of the rotated log
	// files ("<alloc>/alloc/logs/<task>.stdout"); the driver writes
	// "<base>.0", "<base>.1", ... keeping at most LogMaxFiles of at most
	// LogMaxFileSizeMB each. Logging disabled when LogDisabled.
	StdoutPath       string
	StderrPath       string
	LogMaxFiles      int
	LogMaxFileSizeMB int
	LogDisabled      bool

	// Ports are the allocation's reserved and dynamic ports, for drivers
	// that map them into the task's own network namespace (docker).
	Ports []PortMapping

	// Mounts are host directories (host volumes) the task sees at
	// TaskPath. A driver that cannot mount them must refuse the task
	// rather than start it without its data.
	Mounts []MountConfig
}

// MountConfig is one host directory mounted into a task.
type MountConfig struct {
	// TaskPath is the absolute path inside the task (the container or
	// the chroot).
	TaskPath string
	// HostPath is the absolute path on the host.
	HostPath string
	Readonly bool
	// PropagationMode is "private" or empty, which means the same.
	PropagationMode string
}

// PortMapping is one port the scheduler assigned to the allocation.
type PortMapping struct {
	// Label is the port's name in the group's network block.
	Label string
	// Value is the host port.
	Value int
	// To is the port inside the task; 0 means the same as Value.
	To int
	// HostIP is the address the host port is bound to.
	HostIP string
}

// Resources a task was granted, for limits and NOMAD_* variables.
type Resources struct {
	CPUShares   int64
	MemoryMB    int64
	MemoryMaxMB int64
	DiskMB      int64
}

// TaskHandle is opaque driver state for one task that the client keeps on
// disk so RecoverTask can reattach after an agent restart.
type TaskHandle struct {
	Version     int
	Config      *TaskConfig
	State       TaskState
	DriverState []byte
}

// TaskState as a driver sees it.
type TaskState string

const (
	TaskStateUnknown TaskState = "unknown"
	TaskStateRunning TaskState = "running"
	TaskStateExited  TaskState = "exited"
)

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode  int
	Signal    int
	OOMKilled bool
	// Err is set when the driver could not tell how the task ended.
	Err error
}

// Successful reports a clean exit.
func (r *ExitResult) Successful() bool {
	return r.ExitCode == 0 && r.Signal == 0 && r.Err == nil
}

// TaskStatus is the answer of InspectTask.
type TaskStatus struct {
	ID          string
	Name        string
	State       TaskState
	StartedAt   time.Time
	CompletedAt time.Time
	ExitResult  *ExitResult
}

// TaskResourceUsage is one stats sample of a task (its whole process tree).
type TaskResourceUsage struct {
	Timestamp int64
	// CPU in percent of one core, and in MHz as Nomad reports it.
	CPUPercent  float64
	CPUTotalMHz float64
	CPUUserMS   float64
	CPUSystemMS float64
	MemoryRSS   uint64
	MemoryCache uint64
	MemorySwap  uint64
	Pids        []int
}
