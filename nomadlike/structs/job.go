package structs

import "time"

const (
	JobTypeService  = "service"
	JobTypeBatch    = "batch"
	JobTypeSystem   = "system"
	JobTypeSysBatch = "sysbatch"

	DefaultNamespace = "default"
	GlobalRegion     = "global"

	JobStatusPending = "pending"
	JobStatusRunning = "running"
	JobStatusDead    = "dead"

	JobDefaultPriority = 50
	JobMinPriority     = 1
	JobMaxPriority     = 100

	RestartPolicyModeDelay = "delay"
	RestartPolicyModeFail  = "fail"

	DefaultKillTimeout = 5 * time.Second
)

// Job is the server's canonical form of a job: every default filled in.
// Field names match Nomad's so that the JSON of /v1 responses is the same.
type Job struct {
	Region      string
	Namespace   string
	ID          string
	Name        string
	Type        string
	Priority    int
	AllAtOnce   bool
	Datacenters []string
	NodePool    string
	Constraints []*Constraint
	Affinities  []*Affinity
	Spreads     []*Spread
	TaskGroups  []*TaskGroup
	Update      UpdateStrategy // Nomad keeps only Stagger and MaxParallel here; groups hold the rest
	Meta        map[string]string
	Stop        bool
	ParentID    string
	Dispatched  bool
	// Periodic launches children of the job on a schedule; such a job
	// is never scheduled itself.
	Periodic *PeriodicConfig
	// ParameterizedJob makes the job a template run by dispatches.
	ParameterizedJob *ParameterizedJobConfig
	// Payload is a dispatched job's input, written for tasks with a
	// DispatchPayload.
	Payload           []byte
	Status            string
	StatusDescription string
	Stable            bool
	Version           uint64
	SubmitTime        int64
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
}

// TaskGroup is a set of tasks placed together on one node.
type TaskGroup struct {
	Name          string
	Count         int
	Constraints   []*Constraint
	Affinities    []*Affinity
	Spreads       []*Spread
	Tasks         []*Task
	RestartPolicy *RestartPolicy
	EphemeralDisk *EphemeralDisk
	Networks      []*NetworkResource
	Meta          map[string]string
	Migrate       *MigrateStrategy
	// ReschedulePolicy replaces failed allocations on other nodes; nil
	// for system and sysbatch groups, which run on every node.
	ReschedulePolicy *ReschedulePolicy
	// Completions, when above 0, runs a batch group until that many
	// allocations completed successfully, Parallelism (= Count) at a time
	// (an orch extension, after Kubernetes Jobs).
	Completions int
	Parallelism int
	// Volumes are the group's volume blocks by name; see volumes.go.
	Volumes map[string]*VolumeRequest
	Update  *UpdateStrategy // nil or IsEmpty: changes roll out without a deployment
	// Scaling is the group's scaling block (scaling.go); nil when absent.
	Scaling *ScalingPolicy
	// Services are the group's service blocks; see services.go.
	Services []*Service
	// ShutdownDelay is waited, when the allocation is stopped, between
	// deregistering the group's services and killing its tasks, so that
	// load balancers stop sending before the tasks go (Nomad's
	// shutdown_delay). Nil is no delay.
	ShutdownDelay *time.Duration
}

// MigrateStrategy is how a group's allocations move off a draining node;
// the drainer stops at most MaxParallel of them at a time.
type MigrateStrategy struct {
	MaxParallel     int
	HealthCheck     string
	MinHealthyTime  time.Duration
	HealthyDeadline time.Duration
}

// Health checks a MigrateStrategy may name.
const (
	MigrateHealthCheckChecks     = "checks"
	MigrateHealthCheckTaskStates = "task_states"
)

// Task is one process or container run by a driver.
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
	KillTimeout   time.Duration
	LogConfig     *LogConfig
	Leader        bool
	KillSignal    string
	// Lifecycle makes the task a hook of its group's main tasks; nil for a
	// main task.
	Lifecycle *TaskLifecycleConfig
	// Artifacts are fetched into the task directory before it starts.
	Artifacts []*TaskArtifact
	// DispatchPayload writes the dispatched job's payload into local/.
	DispatchPayload *DispatchPayloadConfig
	// VolumeMounts mount the group's volumes into the task.
	VolumeMounts []*VolumeMount
	// Services are the task's service blocks; see services.go.
	Services []*Service
	// Templates are rendered into the task directory; see template.go.
	Templates []*Template
	// ShutdownDelay is waited, when the task is killed for a stop,
	// between deregistering its services and signalling it (after the
	// group's ShutdownDelay).
	ShutdownDelay time.Duration
}

// Constraint restricts placement: LTarget Operand RTarget must hold on a node.
type Constraint struct {
	LTarget string
	RTarget string
	Operand string
}

// RestartPolicy bounds in-place restarts of a failing task: at most Attempts
// restarts within Interval, each after Delay; then Mode decides (fail the
// allocation, or wait out the interval and try again).
type RestartPolicy struct {
	Attempts int
	Interval time.Duration
	Delay    time.Duration
	Mode     string
}

// EphemeralDisk is the allocation directory's disk budget.
type EphemeralDisk struct {
	Sticky  bool
	SizeMB  int
	Migrate bool
}

// LogConfig bounds a task's rotated log files.
type LogConfig struct {
	MaxFiles      int
	MaxFileSizeMB int
	Disabled      bool
}

// JobListStub is the row of a job list.
type JobListStub struct {
	ID                string
	ParentID          string
	Name              string
	Namespace         string
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

// JobSummary counts a job's allocations per group and client status.
type JobSummary struct {
	JobID       string
	Namespace   string
	Summary     map[string]TaskGroupSummary
	CreateIndex uint64
	ModifyIndex uint64
}

// TaskGroupSummary counts one group's allocations by client status.
type TaskGroupSummary struct {
	Queued   int
	Complete int
	Failed   int
	Running  int
	Starting int
	Lost     int
	Unknown  int
}

// LookupTaskGroup returns the named group or nil.
func (j *Job) LookupTaskGroup(name string) *TaskGroup {
	for _, tg := range j.TaskGroups {
		if tg.Name == name {
			return tg
		}
	}
	return nil
}

// LookupTask returns the named task or nil.
func (tg *TaskGroup) LookupTask(name string) *Task {
	for _, t := range tg.Tasks {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Stub returns the list row of the job.
func (j *Job) Stub(summary *JobSummary) *JobListStub {
	return &JobListStub{
		ID:                j.ID,
		ParentID:          j.ParentID,
		Name:              j.Name,
		Namespace:         j.Namespace,
		Datacenters:       j.Datacenters,
		NodePool:          j.NodePool,
		Type:              j.Type,
		Priority:          j.Priority,
		Periodic:          j.IsPeriodic(),
		ParameterizedJob:  j.IsParameterized(),
		Stop:              j.Stop,
		Status:            j.Status,
		StatusDescription: j.StatusDescription,
		JobSummary:        summary,
		CreateIndex:       j.CreateIndex,
		ModifyIndex:       j.ModifyIndex,
		JobModifyIndex:    j.JobModifyIndex,
		SubmitTime:        j.SubmitTime,
	}
}
