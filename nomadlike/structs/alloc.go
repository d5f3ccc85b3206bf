package structs

import "time"

const (
	AllocDesiredStatusRun   = "run"
	AllocDesiredStatusStop  = "stop"
	AllocDesiredStatusEvict = "evict"

	AllocClientStatusPending  = "pending"
	AllocClientStatusRunning  = "running"
	AllocClientStatusComplete = "complete"
	AllocClientStatusFailed   = "failed"
	AllocClientStatusLost     = "lost"
	AllocClientStatusUnknown  = "unknown"

	TaskStatePending = "pending"
	TaskStateRunning = "running"
	TaskStateDead    = "dead"

	// Task event types, as Nomad names them.
	TaskReceived           = "Received"
	TaskSetup              = "Task Setup"
	TaskStarted            = "Started"
	TaskTerminated         = "Terminated"
	TaskRestarting         = "Restarting"
	TaskNotRestarting      = "Not Restarting"
	TaskKilling            = "Killing"
	TaskKilled             = "Killed"
	TaskDriverFailure      = "Driver Failure"
	TaskSetupFailure       = "Setup Failure"
	TaskFailedValidation   = "Failed Validation"
	TaskSiblingFailed      = "Sibling Task Failed"
	TaskLeaderDead         = "Leader Task Dead"
	TaskRestartSignal      = "Restart Signaled"
	TaskSignaling          = "Signaling"
	TaskClientReconnected  = "Reconnected"
	TaskMainDead           = "Main Tasks Dead"
	TaskRestoreFailed      = "Failed Restoring Task"
	TaskDriverMessage      = "Driver"
	TaskHookFailed         = "Task hook failed"
	TaskArtifactDownloadFl = "Failed Artifact Download"
	// TaskWaitingShutdownDelay: the task's services are deregistered
	// and its shutdown_delay runs before the kill signal.
	TaskWaitingShutdownDelay = "Waiting for shutdown delay"
	// TaskSkippingShutdownDelay: the stop asked for no shutdown delay
	// (job stop -no-shutdown-delay), so the task is killed right after
	// its services are deregistered.
	TaskSkippingShutdownDelay = "Skipping shutdown delay"
)

// Allocation is one placement of a task group on a node: the scheduler
// writes the desired side, the client writes the client side.
type Allocation struct {
	ID        string
	Namespace string
	EvalID    string
	// Name is "<job>.<group>[<index>]".
	Name      string
	NodeID    string
	NodeName  string
	JobID     string
	Job       *Job
	TaskGroup string

	AllocatedResources *AllocatedResources
	Metrics            *AllocMetric

	DesiredStatus      string
	DesiredDescription string
	// DesiredTransition carries the server's wishes about how the
	// allocation leaves: set by the FSM, read by the client.
	DesiredTransition DesiredTransition

	ClientStatus      string
	ClientDescription string
	TaskStates        map[string]*TaskState

	FollowupEvalID     string
	PreviousAllocation string
	NextAllocation     string
	// RescheduleTracker lists the reschedules that led to this allocation.
	RescheduleTracker *RescheduleTracker

	// PreemptedAllocations lists the allocations evicted to make room
	// for this one; PreemptedByAllocation names the allocation that
	// evicted this one.
	PreemptedAllocations  []string
	PreemptedByAllocation string

	// DeploymentID is the deployment the allocation was placed or last
	// updated by; "" outside a deployment.
	DeploymentID string
	// DeploymentStatus is the allocation's health within its deployment:
	// the server sets Canary, the client reports Healthy and Timestamp.
	DeploymentStatus *AllocDeploymentStatus

	CreateIndex uint64
	ModifyIndex uint64
	// AllocModifyIndex moves only when the server changes the allocation,
	// not on client status updates: clients pull when it moves.
	AllocModifyIndex uint64
	CreateTime       int64
	ModifyTime       int64
}

// AllocListStub is the row of an allocation list.
type AllocListStub struct {
	ID                 string
	EvalID             string
	Name               string
	Namespace          string
	NodeID             string
	NodeName           string
	JobID              string
	JobType            string
	JobVersion         uint64
	TaskGroup          string
	AllocatedResources *AllocatedResources `json:",omitempty"`
	DesiredStatus      string
	DesiredDescription string
	ClientStatus       string
	ClientDescription  string
	TaskStates         map[string]*TaskState
	DeploymentStatus   *AllocDeploymentStatus
	FollowupEvalID     string
	CreateIndex        uint64
	ModifyIndex        uint64
	CreateTime         int64
	ModifyTime         int64

	// PreemptedAllocations and PreemptedByAllocation: see Allocation.
	PreemptedAllocations  []string
	PreemptedByAllocation string
}

// TaskState is the client's view of one task.
type TaskState struct {
	State       string
	Failed      bool
	Restarts    uint64
	LastRestart time.Time
	StartedAt   time.Time
	FinishedAt  time.Time
	Events      []*TaskEvent
}

// TaskEvent is one step of a task's life.
type TaskEvent struct {
	Type           string
	Time           int64
	DisplayMessage string
	Details        map[string]string
	Message        string
	ExitCode       int
	Signal         int
	FailsTask      bool
	RestartReason  string
	DriverError    string
	KillTimeout    time.Duration
	StartDelay     int64
}

// AllocMetric explains a placement decision: how many nodes were looked at,
// and why the others were filtered out (a failed check) or exhausted (no room
// on a resource dimension).
type AllocMetric struct {
	NodesEvaluated     int
	NodesFiltered      int
	NodesInPool        int
	NodesAvailable     map[string]int
	ClassFiltered      map[string]int
	ConstraintFiltered map[string]int
	NodesExhausted     int
	ClassExhausted     map[string]int
	DimensionExhausted map[string]int
	ScoreMetaData      []*NodeScoreMeta
	AllocationTime     time.Duration
	CoalescedFailures  int
}

// NodeScoreMeta is a node's score, by scorer, for one placement.
type NodeScoreMeta struct {
	NodeID    string
	Scores    map[string]float64
	NormScore float64
}

// DesiredTransition is how the servers want an allocation to move on,
// beyond its desired status. Fields are pointers, as in Nomad, so an
// unset wish can be told from a false one when transitions are merged.
type DesiredTransition struct {
	// NoShutdownDelay asks the client to skip the group's and tasks'
	// shutdown_delay when it stops the allocation; the services are
	// still deregistered first.
	NoShutdownDelay *bool
	// Reschedule lets the scheduler replace a running allocation of an
	// active deployment that was judged unhealthy, as if it had failed:
	// the deployment watcher sets it while the group's progress_deadline
	// leaves time for a replacement.
	Reschedule *bool
}

// ShouldIgnoreShutdownDelay reports whether the stop skips the delays.
func (d DesiredTransition) ShouldIgnoreShutdownDelay() bool {
	return d.NoShutdownDelay != nil && *d.NoShutdownDelay
}

// ShouldReschedule reports whether the allocation was marked for
// replacement.
func (d DesiredTransition) ShouldReschedule() bool {
	return d.Reschedule != nil && *d.Reschedule
}

// Merge sets the wishes o sets, keeping the others.
func (d *DesiredTransition) Merge(o *DesiredTransition) {
	if o == nil {
		return
	}
	if o.NoShutdownDelay != nil {
		v := *o.NoShutdownDelay
		d.NoShutdownDelay = &v
	}
	if o.Reschedule != nil {
		v := *o.Reschedule
		d.Reschedule = &v
	}
}

// Copy returns a deep copy, so a stored allocation never shares the
// pointers of one being changed.
func (d DesiredTransition) Copy() DesiredTransition {
	if d.NoShutdownDelay != nil {
		v := *d.NoShutdownDelay
		d.NoShutdownDelay = &v
	}
	if d.Reschedule != nil {
		v := *d.Reschedule
		d.Reschedule = &v
	}
	return d
}

// TerminalStatus reports whether the server wants the allocation gone or
// the client has finished it.
func (a *Allocation) TerminalStatus() bool {
	return a.ServerTerminalStatus() || a.ClientTerminalStatus()
}

// ServerTerminalStatus reports whether the server asked for a stop.
func (a *Allocation) ServerTerminalStatus() bool {
	return a.DesiredStatus == AllocDesiredStatusStop || a.DesiredStatus == AllocDesiredStatusEvict
}

// ClientTerminalStatus reports whether the client finished the allocation.
func (a *Allocation) ClientTerminalStatus() bool {
	switch a.ClientStatus {
	case AllocClientStatusComplete, AllocClientStatusFailed, AllocClientStatusLost:
		return true
	}
	return false
}

// Stub returns the list row of the allocation.
func (a *Allocation) Stub() *AllocListStub {
	s := &AllocListStub{
		ID:                 a.ID,
		EvalID:             a.EvalID,
		Name:               a.Name,
		Namespace:          a.Namespace,
		NodeID:             a.NodeID,
		NodeName:           a.NodeName,
		JobID:              a.JobID,
		TaskGroup:          a.TaskGroup,
		AllocatedResources: a.AllocatedResources,
		DesiredStatus:      a.DesiredStatus,
		DesiredDescription: a.DesiredDescription,
		ClientStatus:       a.ClientStatus,
		ClientDescription:  a.ClientDescription,
		TaskStates:         a.TaskStates,
		DeploymentStatus:   a.DeploymentStatus,
		FollowupEvalID:     a.FollowupEvalID,
		CreateIndex:        a.CreateIndex,
		ModifyIndex:        a.ModifyIndex,
		CreateTime:         a.CreateTime,
		ModifyTime:         a.ModifyTime,
	}
	s.PreemptedAllocations, s.PreemptedByAllocation = a.PreemptedAllocations, a.PreemptedByAllocation
	if a.Job != nil {
		s.JobType = a.Job.Type
		s.JobVersion = a.Job.Version
	}
	return s
}
