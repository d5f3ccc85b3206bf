package api

import "time"

// Job types, in the JSON shape of Nomad's /v1 API. Scalar fields are pointers
// so that "unset" can be told apart from a zero value: Canonicalize fills the
// Nomad defaults for whatever the user left out.

const (
	JobTypeService  = "service"
	JobTypeBatch    = "batch"
	JobTypeSystem   = "system"
	JobTypeSysBatch = "sysbatch"

	DefaultNamespace = "default"
	GlobalRegion     = "global"

	RestartPolicyModeDelay = "delay"
	RestartPolicyModeFail  = "fail"
)

// Job is a user's declaration of work: groups of tasks and where they may run.
type Job struct {
	Region           *string
	Namespace        *string
	ID               *string
	Name             *string
	Type             *string
	Priority         *int
	AllAtOnce        *bool
	Datacenters      []string
	NodePool         *string
	Constraints      []*Constraint
	Affinities       []*Affinity
	Spreads          []*Spread
	TaskGroups       []*TaskGroup
	Reschedule       *ReschedulePolicy
	Update           *UpdateStrategy
	Meta             map[string]string
	Stop             *bool
	ParentID         *string
	Dispatched       bool
	Periodic         *PeriodicConfig
	ParameterizedJob *ParameterizedJobConfig
	// Payload is a dispatched job's input (base64 in JSON).
	Payload           []byte
	Status            *string
	StatusDescription *string
	Stable            *bool
	Version           *uint64
	SubmitTime        *int64
	CreateIndex       *uint64
	ModifyIndex       *uint64
	JobModifyIndex    *uint64
}

// TaskGroup is a set of tasks placed together on one node.
type TaskGroup struct {
	Name          *string
	Count         *int
	Constraints   []*Constraint
	Affinities    []*Affinity
	Spreads       []*Spread
	Tasks         []*Task
	RestartPolicy *RestartPolicy
	EphemeralDisk *EphemeralDisk
	Networks      []*NetworkResource
	Meta          map[string]string
	Migrate       *MigrateStrategy
	// ReschedulePolicy is the group's reschedule block merged over the
	// job's (Job.Reschedule) and the type's defaults.
	ReschedulePolicy *ReschedulePolicy
	// Completions and Parallelism are an orch extension for batch groups:
	// run until Completions allocations succeeded, Parallelism at a time.
	Completions *int `json:",omitempty"`
	Parallelism *int `json:",omitempty"`
	// Volumes are the group's volume blocks by name.
	Volumes map[string]*VolumeRequest
	Update  *UpdateStrategy
	// Scaling is the group's scaling block (scaling.go).
	Scaling *ScalingPolicy `json:",omitempty"`
	// Services are the group's service blocks.
	Services []*Service `json:",omitempty"`
	// ShutdownDelay is waited between deregistering the group's services
	// and killing its tasks when the allocation stops (nanoseconds in
	// JSON, as Nomad's).
	ShutdownDelay *time.Duration
}

// MigrateStrategy is how a group's allocations move off a draining node:
// at most MaxParallel at a time, each replacement judged healthy by
// HealthCheck ("checks" or "task_states") once it has stayed so for
// MinHealthyTime, within HealthyDeadline.
type MigrateStrategy struct {
	MaxParallel     *int
	HealthCheck     *string
	MinHealthyTime  *time.Duration
	HealthyDeadline *time.Duration
}

// Health checks a migrate block may name.
const (
	MigrateHealthCheckChecks     = "checks"
	MigrateHealthCheckTaskStates = "task_states"
)

// Task is a single process (or container) run by a driver.
type Task struct {
	Name          string
	Driver        string
	User          string
	Config        map[string]interface{}
	Constraints   []*Constraint
	Affinities    []*Affinity
	Env           map[string]string
	Resources     *Resources
	RestartPolicy *RestartPolicy
	Meta          map[string]string
	KillTimeout   *time.Duration
	LogConfig     *LogConfig
	Leader        bool
	KillSignal    string
	// Lifecycle makes the task a hook around its group's main tasks.
	Lifecycle *TaskLifecycle
	// Artifacts are fetched into the task directory before it starts.
	Artifacts []*TaskArtifact
	// DispatchPayload writes a dispatched job's payload into local/.
	DispatchPayload *DispatchPayloadConfig
	// VolumeMounts mount the group's volumes into the task.
	VolumeMounts []*VolumeMount
	// Services are the task's service blocks.
	Services []*Service `json:",omitempty"`
	// Templates are rendered into the task directory before it starts.
	Templates []*Template `json:",omitempty"`
	// ShutdownDelay is waited between deregistering the task's services
	// and signalling it when it is stopped.
	ShutdownDelay time.Duration
}

// Lifecycle hooks a task can run at.
const (
	TaskLifecycleHookPrestart  = "prestart"
	TaskLifecycleHookPoststart = "poststart"
	TaskLifecycleHookPoststop  = "poststop"
)

// TaskLifecycle places a task relative to the group's main tasks: Hook is
// when it starts; Sidecar keeps it running beside them instead of running
// it to completion.
type TaskLifecycle struct {
	Hook    string
	Sidecar bool
}

// Artifact getter modes.
const (
	GetterModeAny  = "any"
	GetterModeFile = "file"
	GetterModeDir  = "dir"
)

// TaskArtifact is a file or archive fetched into the task directory
// before the task starts.
type TaskArtifact struct {
	GetterSource *string
	// GetterOptions holds "checksum" = "type:hex".
	GetterOptions map[string]string
	GetterHeaders map[string]string
	// GetterMode is "any" (unpack archives), "file" or "dir".
	GetterMode *string
	// RelativeDest is relative to the task directory.
	RelativeDest *string
}

// Constraint restricts placement to nodes whose LTarget compares to RTarget
// by Operand ("=" when empty).
type Constraint struct {
	LTarget string
	RTarget string
	Operand string
}

// RestartPolicy says how a failed task is restarted on the same node.
type RestartPolicy struct {
	Interval *time.Duration
	Attempts *int
	Delay    *time.Duration
	Mode     *string
}

// Resources a task asks for.
type Resources struct {
	CPU         *int
	Cores       *int
	MemoryMB    *int
	MemoryMaxMB *int
	DiskMB      *int `json:",omitempty"`
	Networks    []*NetworkResource
}

// EphemeralDisk is the allocation directory's disk budget.
type EphemeralDisk struct {
	Sticky  *bool
	Migrate *bool
	SizeMB  *int
}

// NetworkResource asks for ports (and, later, network modes).
type NetworkResource struct {
	Mode          string
	Device        string
	CIDR          string
	IP            string
	ReservedPorts []Port
	DynamicPorts  []Port
	MBits         *int
}

// Port is a labelled port: Value is static when reserved, assigned otherwise;
// To is the port inside the task's network namespace.
type Port struct {
	Label       string
	Value       int
	To          int
	HostNetwork string
}

// LogConfig bounds the rotated stdout/stderr files of a task.
type LogConfig struct {
	MaxFiles      *int
	MaxFileSizeMB *int
	Disabled      *bool
}

// JobListStub is the row returned by /v1/jobs.
type JobListStub struct {
	ID                string
	ParentID          string
	Name              string
	Namespace         string `json:",omitempty"`
	Datacenters       []string
	NodePool          string
	Type              string
	Priority          int
	Periodic          bool
	ParameterizedJob  bool
	Stop              bool
	Status            string
	StatusDescription string
	JobSummary        *JobSummary
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
	SubmitTime        int64
}

// JobSummary counts a job's allocations per task group and client status.
type JobSummary struct {
	JobID       string
	Namespace   string
	Summary     map[string]TaskGroupSummary
	CreateIndex uint64
	ModifyIndex uint64
}

// TaskGroupSummary counts allocations of one group by client status.
type TaskGroupSummary struct {
	Queued   int
	Complete int
	Failed   int
	Running  int
	Starting int
	Lost     int
	Unknown  int
}

// WriteRequest carries the options of a write.
type WriteRequest struct {
	Region    string `json:",omitempty"`
	Namespace string `json:",omitempty"`
	SecretID  string `json:",omitempty"`
}

// JobRegisterRequest is the body of PUT /v1/jobs and /v1/job/:id.
type JobRegisterRequest struct {
	Job            *Job
	EnforceIndex   bool   `json:",omitempty"`
	JobModifyIndex uint64 `json:",omitempty"`
	PolicyOverride bool   `json:",omitempty"`
	PreserveCounts bool   `json:",omitempty"`
	WriteRequest
}

// JobRegisterResponse answers a job registration.
type JobRegisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Warnings        string
	QueryMeta
}

// JobDeregisterResponse answers DELETE /v1/job/:id.
type JobDeregisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	QueryMeta
}

// JobsParseRequest is the body of POST /v1/jobs/parse.
type JobsParseRequest struct {
	JobHCL string
	HCLv1  bool `json:"hclv1,omitempty"`
	// Variables is var-file content ("name = value" lines) for the
	// jobspec's variables, as in Nomad.
	Variables    string
	Canonicalize bool `json:"Canonicalize"`
}

// JobValidateRequest is the body of PUT /v1/validate/job.
type JobValidateRequest struct {
	Job *Job
	WriteRequest
}

// JobValidateResponse lists what is wrong with a job.
type JobValidateResponse struct {
	DriverConfigValidated bool
	ValidationErrors      []string
	Error                 string
	Warnings              string
}
