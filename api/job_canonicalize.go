package api

import (
	"net/url"
	"path"
	"time"
)

// Defaults that Canonicalize fills in. They follow Nomad's documented
// jobspec defaults so that a Nomad job file behaves the same under orch.
const (
	DefaultJobPriority   = 50
	DefaultNodePool      = "default"
	DefaultGroupCount    = 1
	DefaultKillTimeout   = 5 * time.Second
	DefaultCPU           = 100
	DefaultMemoryMB      = 300
	DefaultEphemeralDisk = 300
	DefaultLogMaxFiles   = 10
	DefaultLogMaxFileMB  = 10

	DefaultMigrateMaxParallel     = 1
	DefaultMigrateHealthCheck     = MigrateHealthCheckChecks
	DefaultMigrateMinHealthyTime  = 10 * time.Second
	DefaultMigrateHealthyDeadline = 5 * time.Minute
)

// AnyDatacenter is the wildcard datacenter Nomad 1.5+ uses when a job names
// none, so that a job runs wherever its node pool has room.
const AnyDatacenter = "*"

// DefaultRestartPolicy returns the restart policy Nomad applies to a group
// that has none, which depends on the job type: batch work retries more
// often over a longer window because it is expected to finish, services
// give up sooner so they can be rescheduled elsewhere.
func DefaultRestartPolicy(jobType string) *RestartPolicy {
	switch jobType {
	case JobTypeBatch, JobTypeSysBatch:
		return &RestartPolicy{
			Attempts: PointerOf(3),
			Interval: PointerOf(24 * time.Hour),
			Delay:    PointerOf(15 * time.Second),
			Mode:     PointerOf(RestartPolicyModeFail),
		}
	default:
		return &RestartPolicy{
			Attempts: PointerOf(2),
			Interval: PointerOf(30 * time.Minute),
			Delay:    PointerOf(15 * time.Second),
			Mode:     PointerOf(RestartPolicyModeFail),
		}
	}
}

// Canonicalize fills every field the user left unset with Nomad's default,
// down through groups and tasks. Nomad's Go client calls it before sending
// a job and the server calls it again on every job it receives, so it must
// be idempotent and must never overwrite a value that was set.
func (j *Job) Canonicalize() {
	if j == nil {
		return
	}
	setDefault(&j.Region, GlobalRegion)
	setDefault(&j.Namespace, DefaultNamespace)
	setDefault(&j.ID, "")
	if j.Name == nil {
		j.Name = PointerOf(*j.ID)
	}
	setDefault(&j.Type, JobTypeService)
	setDefault(&j.Priority, DefaultJobPriority)
	setDefault(&j.AllAtOnce, false)
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{AnyDatacenter}
	}
	setDefault(&j.NodePool, DefaultNodePool)
	setDefault(&j.Stop, false)
	setDefault(&j.ParentID, "")
	setDefault(&j.Status, "")
	setDefault(&j.StatusDescription, "")
	setDefault(&j.Stable, false)
	setDefault(&j.Version, uint64(0))
	setDefault(&j.SubmitTime, int64(0))
	setDefault(&j.CreateIndex, uint64(0))
	setDefault(&j.ModifyIndex, uint64(0))
	setDefault(&j.JobModifyIndex, uint64(0))
	j.Periodic.Canonicalize()
	j.ParameterizedJob.Canonicalize()
	canonicalizeJobUpdate(j)
	for _, tg := range j.TaskGroups {
		tg.Canonicalize(j)
	}
}

// Canonicalize fills the group's unset fields. The job must already be
// canonicalised because the restart defaults depend on its type.
func (g *TaskGroup) Canonicalize(job *Job) {
	if g == nil {
		return
	}
	setDefault(&g.Name, "")
	g.canonicalizeCompletions()
	g.canonicalizeScaling()
	setDefault(&g.Count, DefaultGroupCount)
	if g.EphemeralDisk == nil {
		g.EphemeralDisk = &EphemeralDisk{}
	}
	g.EphemeralDisk.Canonicalize()

	jobType := JobTypeService
	if job != nil && job.Type != nil {
		jobType = *job.Type
	}
	defaults := DefaultRestartPolicy(jobType)
	if g.RestartPolicy != nil {
		defaults.Merge(g.RestartPolicy)
	}
	g.RestartPolicy = defaults
	g.canonicalizeReschedule(job, jobType)

	// As in Nomad, only service groups migrate by strategy; a block on
	// another type of group is kept and filled in all the same.
	if g.Migrate == nil && jobType == JobTypeService {
		g.Migrate = &MigrateStrategy{}
	}
	g.Migrate.Canonicalize()
	canonicalizeGroupUpdate(g, job)

	for _, n := range g.Networks {
		n.Canonicalize()
	}
	g.canonicalizeVolumes()
	for _, s := range g.Services {
		s.Canonicalize(jobName(job), deref(g.Name), "")
	}
	for _, t := range g.Tasks {
		t.Canonicalize(g, job)
	}
}

// Canonicalize fills the task's unset fields. A task's restart block only
// overrides the fields it sets; the rest come from its group, so the group
// must be canonicalised first.
func (t *Task) Canonicalize(tg *TaskGroup, job *Job) {
	if t == nil {
		return
	}
	if t.Resources == nil {
		t.Resources = &Resources{}
	}
	t.Resources.Canonicalize()
	setDefault(&t.KillTimeout, DefaultKillTimeout)
	if t.LogConfig == nil {
		t.LogConfig = &LogConfig{}
	}
	t.LogConfig.Canonicalize()

	var merged *RestartPolicy
	if tg != nil && tg.RestartPolicy != nil {
		merged = tg.RestartPolicy.Copy()
	} else {
		jobType := JobTypeService
		if job != nil && job.Type != nil {
			jobType = *job.Type
		}
		merged = DefaultRestartPolicy(jobType)
	}
	if t.RestartPolicy != nil {
		merged.Merge(t.RestartPolicy)
	}
	t.RestartPolicy = merged

	if t.Lifecycle != nil && t.Lifecycle.Hook == "" && !t.Lifecycle.Sidecar {
		// An empty block means a main task, as in Nomad.
		t.Lifecycle = nil
	}
	for _, a := range t.Artifacts {
		a.Canonicalize()
	}
	for _, m := range t.VolumeMounts {
		m.Canonicalize()
	}
	var group string
	if tg != nil {
		group = deref(tg.Name)
	}
	for _, s := range t.Services {
		if s != nil && s.TaskName == "" {
			s.TaskName = t.Name
		}
		s.Canonicalize(jobName(job), group, t.Name)
	}
	for _, tmpl := range t.Templates {
		tmpl.Canonicalize()
	}
}

// jobName is the job's name for default service names: Nomad uses the
// job's Name, which defaults to its ID.
func jobName(job *Job) string {
	if job == nil {
		return ""
	}
	if job.Name != nil && *job.Name != "" {
		return *job.Name
	}
	return deref(job.ID)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Canonicalize fills an artifact's unset fields as Nomad does: archives are
// unpacked, into local/; in file mode the file keeps its name under
// local/.
func (a *TaskArtifact) Canonicalize() {
	if a == nil {
		return
	}
	setDefault(&a.GetterSource, "")
	setDefault(&a.GetterMode, GetterModeAny)
	if len(a.GetterOptions) == 0 {
		a.GetterOptions = nil
	}
	if len(a.GetterHeaders) == 0 {
		a.GetterHeaders = nil
	}
	if a.RelativeDest == nil {
		dest := "local/"
		if *a.GetterMode == GetterModeFile {
			dest = path.Join("local", sourceFileName(*a.GetterSource))
		}
		a.RelativeDest = &dest
	}
}

// sourceFileName is the last path element of an artifact URL, without
// its query or fragment.
func sourceFileName(src string) string {
	if u, err := url.Parse(src); err == nil && u.Path != "" {
		src = u.Path
	}
	name := path.Base(src)
	if name == "/" || name == "." || name == ".." {
		return "artifact"
	}
	return name
}

// Merge overwrites r's fields with the ones set in other.
func (r *RestartPolicy) Merge(other *RestartPolicy) {
	if r == nil || other == nil {
		return
	}
	if other.Attempts != nil {
		r.Attempts = PointerOf(*other.Attempts)
	}
	if other.Interval != nil {
		r.Interval = PointerOf(*other.Interval)
	}
	if other.Delay != nil {
		r.Delay = PointerOf(*other.Delay)
	}
	if other.Mode != nil {
		r.Mode = PointerOf(*other.Mode)
	}
}

// Copy returns a deep copy, so that tasks sharing their group's policy do
// not alias its pointers.
func (r *RestartPolicy) Copy() *RestartPolicy {
	if r == nil {
		return nil
	}
	c := &RestartPolicy{}
	c.Merge(r)
	return c
}

// Canonicalize fills the unset fields of r with the defaults of jobType.
func (r *RestartPolicy) Canonicalize(jobType string) {
	if r == nil {
		return
	}
	merged := DefaultRestartPolicy(jobType)
	merged.Merge(r)
	*r = *merged
}

// Canonicalize fills unset resources. CPU shares only default when no
// whole cores are reserved: a task asking for cores gets its CPU share
// computed from them, and a default of 100 MHz on top would double-book.
func (r *Resources) Canonicalize() {
	if r == nil {
		return
	}
	setDefault(&r.Cores, 0)
	if *r.Cores == 0 {
		setDefault(&r.CPU, DefaultCPU)
	} else {
		setDefault(&r.CPU, 0)
	}
	setDefault(&r.MemoryMB, DefaultMemoryMB)
	setDefault(&r.MemoryMaxMB, 0)
	for _, n := range r.Networks {
		n.Canonicalize()
	}
}

// Canonicalize fills unset log rotation limits.
func (l *LogConfig) Canonicalize() {
	if l == nil {
		return
	}
	setDefault(&l.MaxFiles, DefaultLogMaxFiles)
	setDefault(&l.MaxFileSizeMB, DefaultLogMaxFileMB)
	setDefault(&l.Disabled, false)
}

// Canonicalize fills the unset fields of the allocation disk budget.
func (e *EphemeralDisk) Canonicalize() {
	if e == nil {
		return
	}
	setDefault(&e.Sticky, false)
	setDefault(&e.Migrate, false)
	setDefault(&e.SizeMB, DefaultEphemeralDisk)
}

// Canonicalize fills the unset fields of a migrate block with Nomad's
// defaults.
func (m *MigrateStrategy) Canonicalize() {
	if m == nil {
		return
	}
	setDefault(&m.MaxParallel, DefaultMigrateMaxParallel)
	setDefault(&m.HealthCheck, DefaultMigrateHealthCheck)
	setDefault(&m.MinHealthyTime, DefaultMigrateMinHealthyTime)
	setDefault(&m.HealthyDeadline, DefaultMigrateHealthyDeadline)
}

// Canonicalize fills the unset bandwidth ask of a network.
func (n *NetworkResource) Canonicalize() {
	if n == nil {
		return
	}
	setDefault(&n.MBits, 0)
}

// setDefault points *p at v when it is unset.
func setDefault[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}
