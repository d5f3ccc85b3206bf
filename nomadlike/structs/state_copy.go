package structs

// Deep copies of the objects kept in the state store. The store hands out
// shared pointers to readers and snapshots, so a writer must copy an object
// before changing it; these helpers make that cheap to get right.

func copyStringMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func copyIntMap(m map[string]int) map[string]int {
	if m == nil {
		return nil
	}
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// copyGeneric copies the nested maps and slices a task's free-form driver
// config is decoded into; scalars are immutable and shared.
func copyGeneric(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		c := make(map[string]interface{}, len(t))
		for k, e := range t {
			c[k] = copyGeneric(e)
		}
		return c
	case []interface{}:
		c := make([]interface{}, len(t))
		for i, e := range t {
			c[i] = copyGeneric(e)
		}
		return c
	case []string:
		return append([]string(nil), t...)
	case []map[string]interface{}:
		c := make([]map[string]interface{}, len(t))
		for i, e := range t {
			c[i], _ = copyGeneric(e).(map[string]interface{})
		}
		return c
	}
	return v
}

// Copy returns a deep copy of the constraint.
func (c *Constraint) Copy() *Constraint {
	if c == nil {
		return nil
	}
	n := *c
	return &n
}

func copyConstraints(cs []*Constraint) []*Constraint {
	if cs == nil {
		return nil
	}
	c := make([]*Constraint, len(cs))
	for i, e := range cs {
		c[i] = e.Copy()
	}
	return c
}

// Copy returns a deep copy of the network resource.
func (n *NetworkResource) Copy() *NetworkResource {
	if n == nil {
		return nil
	}
	c := *n
	if n.ReservedPorts != nil {
		c.ReservedPorts = append([]Port(nil), n.ReservedPorts...)
	}
	if n.DynamicPorts != nil {
		c.DynamicPorts = append([]Port(nil), n.DynamicPorts...)
	}
	return &c
}

func copyNetworks(ns []*NetworkResource) []*NetworkResource {
	if ns == nil {
		return nil
	}
	c := make([]*NetworkResource, len(ns))
	for i, e := range ns {
		c[i] = e.Copy()
	}
	return c
}

// Copy returns a deep copy of the resources.
func (r *Resources) Copy() *Resources {
	if r == nil {
		return nil
	}
	c := *r
	c.Networks = copyNetworks(r.Networks)
	return &c
}

// Copy returns a deep copy of the restart policy.
func (r *RestartPolicy) Copy() *RestartPolicy {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// Copy returns a deep copy of the task.
func (t *Task) Copy() *Task {
	if t == nil {
		return nil
	}
	c := *t
	if t.Config != nil {
		c.Config, _ = copyGeneric(t.Config).(map[string]interface{})
	}
	c.Constraints = copyConstraints(t.Constraints)
	c.Affinities = copyAffinities(t.Affinities)
	c.Env = copyStringMap(t.Env)
	c.Resources = t.Resources.Copy()
	c.RestartPolicy = t.RestartPolicy.Copy()
	c.Meta = copyStringMap(t.Meta)
	if t.LogConfig != nil {
		lc := *t.LogConfig
		c.LogConfig = &lc
	}
	c.Lifecycle = t.Lifecycle.Copy()
	if t.Artifacts != nil {
		c.Artifacts = make([]*TaskArtifact, len(t.Artifacts))
		for i, a := range t.Artifacts {
			c.Artifacts[i] = a.Copy()
		}
	}
	c.DispatchPayload = t.DispatchPayload.Copy()
	c.VolumeMounts = copyVolumeMounts(t.VolumeMounts)
	c.Services = copyServices(t.Services)
	c.Templates = copyTemplates(t.Templates)
	return &c
}

// Copy returns a deep copy of the task group.
func (tg *TaskGroup) Copy() *TaskGroup {
	if tg == nil {
		return nil
	}
	c := *tg
	c.Constraints = copyConstraints(tg.Constraints)
	c.Affinities = copyAffinities(tg.Affinities)
	c.Spreads = copySpreads(tg.Spreads)
	if tg.Tasks != nil {
		c.Tasks = make([]*Task, len(tg.Tasks))
		for i, t := range tg.Tasks {
			c.Tasks[i] = t.Copy()
		}
	}
	c.RestartPolicy = tg.RestartPolicy.Copy()
	if tg.EphemeralDisk != nil {
		d := *tg.EphemeralDisk
		c.EphemeralDisk = &d
	}
	c.Networks = copyNetworks(tg.Networks)
	c.Meta = copyStringMap(tg.Meta)
	if tg.Migrate != nil {
		m := *tg.Migrate
		c.Migrate = &m
	}
	c.ReschedulePolicy = tg.ReschedulePolicy.Copy()
	c.Volumes = copyVolumeRequests(tg.Volumes)
	c.Update = tg.Update.Copy()
	c.Scaling = tg.Scaling.Copy()
	c.Services = copyServices(tg.Services)
	if tg.ShutdownDelay != nil {
		d := *tg.ShutdownDelay
		c.ShutdownDelay = &d
	}
	return &c
}

// Copy returns a deep copy of the job.
func (j *Job) Copy() *Job {
	if j == nil {
		return nil
	}
	c := *j
	if j.Datacenters != nil {
		c.Datacenters = append([]string(nil), j.Datacenters...)
	}
	c.Constraints = copyConstraints(j.Constraints)
	c.Affinities = copyAffinities(j.Affinities)
	c.Spreads = copySpreads(j.Spreads)
	if j.TaskGroups != nil {
		c.TaskGroups = make([]*TaskGroup, len(j.TaskGroups))
		for i, tg := range j.TaskGroups {
			c.TaskGroups[i] = tg.Copy()
		}
	}
	c.Meta = copyStringMap(j.Meta)
	c.Periodic = j.Periodic.Copy()
	c.ParameterizedJob = j.ParameterizedJob.Copy()
	if j.Payload != nil {
		c.Payload = append([]byte(nil), j.Payload...)
	}
	return &c
}

// Copy returns a deep copy of the summary.
func (s *JobSummary) Copy() *JobSummary {
	if s == nil {
		return nil
	}
	c := *s
	if s.Summary != nil {
		c.Summary = make(map[string]TaskGroupSummary, len(s.Summary))
		for k, v := range s.Summary {
			c.Summary[k] = v
		}
	}
	return &c
}

// Copy returns a deep copy of the node.
func (n *Node) Copy() *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Attributes = copyStringMap(n.Attributes)
	if n.NodeResources != nil {
		r := *n.NodeResources
		if cores := n.NodeResources.Cpu.ReservableCpuCores; cores != nil {
			r.Cpu.ReservableCpuCores = append([]uint16(nil), cores...)
		}
		r.Networks = copyNetworks(n.NodeResources.Networks)
		c.NodeResources = &r
	}
	if n.ReservedResources != nil {
		r := *n.ReservedResources
		c.ReservedResources = &r
	}
	c.Meta = copyStringMap(n.Meta)
	if n.Drivers != nil {
		c.Drivers = make(map[string]*DriverInfo, len(n.Drivers))
		for k, d := range n.Drivers {
			c.Drivers[k] = d.Copy()
		}
	}
	c.HostVolumes = copyHostVolumes(n.HostVolumes)
	return &c
}

// Copy returns a deep copy of the driver fingerprint.
func (d *DriverInfo) Copy() *DriverInfo {
	if d == nil {
		return nil
	}
	c := *d
	c.Attributes = copyStringMap(d.Attributes)
	return &c
}

// Copy returns a deep copy of the task state.
func (ts *TaskState) Copy() *TaskState {
	if ts == nil {
		return nil
	}
	c := *ts
	if ts.Events != nil {
		c.Events = make([]*TaskEvent, len(ts.Events))
		for i, e := range ts.Events {
			c.Events[i] = e.Copy()
		}
	}
	return &c
}

// Copy returns a deep copy of the task event.
func (e *TaskEvent) Copy() *TaskEvent {
	if e == nil {
		return nil
	}
	c := *e
	c.Details = copyStringMap(e.Details)
	return &c
}

// Copy returns a deep copy of the allocated resources.
func (a *AllocatedResources) Copy() *AllocatedResources {
	if a == nil {
		return nil
	}
	c := *a
	if a.Tasks != nil {
		c.Tasks = make(map[string]*AllocatedTaskResources, len(a.Tasks))
		for k, t := range a.Tasks {
			tc := *t
			if t.Cpu.ReservedCores != nil {
				tc.Cpu.ReservedCores = append([]uint16(nil), t.Cpu.ReservedCores...)
			}
			tc.Networks = copyNetworks(t.Networks)
			c.Tasks[k] = &tc
		}
	}
	c.Shared.Networks = copyNetworks(a.Shared.Networks)
	if a.Shared.Ports != nil {
		c.Shared.Ports = append([]PortMapping(nil), a.Shared.Ports...)
	}
	return &c
}

// Copy returns a deep copy of the metric.
func (m *AllocMetric) Copy() *AllocMetric {
	if m == nil {
		return nil
	}
	c := *m
	c.NodesAvailable = copyIntMap(m.NodesAvailable)
	c.ClassFiltered = copyIntMap(m.ClassFiltered)
	c.ConstraintFiltered = copyIntMap(m.ConstraintFiltered)
	c.ClassExhausted = copyIntMap(m.ClassExhausted)
	c.DimensionExhausted = copyIntMap(m.DimensionExhausted)
	if m.ScoreMetaData != nil {
		c.ScoreMetaData = make([]*NodeScoreMeta, len(m.ScoreMetaData))
		for i, s := range m.ScoreMetaData {
			sc := *s
			if s.Scores != nil {
				sc.Scores = make(map[string]float64, len(s.Scores))
				for k, v := range s.Scores {
					sc.Scores[k] = v
				}
			}
			c.ScoreMetaData[i] = &sc
		}
	}
	return &c
}

// CopySkipJob returns a deep copy of the allocation that shares its Job
// pointer: jobs in the store are immutable, so sharing is safe and saves
// copying a whole job per allocation.
func (a *Allocation) CopySkipJob() *Allocation {
	if a == nil {
		return nil
	}
	c := *a
	c.AllocatedResources = a.AllocatedResources.Copy()
	c.Metrics = a.Metrics.Copy()
	c.RescheduleTracker = a.RescheduleTracker.Copy()
	c.PreemptedAllocations = append([]string(nil), a.PreemptedAllocations...)
	c.DeploymentStatus = a.DeploymentStatus.Copy()
	c.DesiredTransition = a.DesiredTransition.Copy()
	if a.TaskStates != nil {
		c.TaskStates = make(map[string]*TaskState, len(a.TaskStates))
		for k, ts := range a.TaskStates {
			c.TaskStates[k] = ts.Copy()
		}
	}
	return &c
}

// Copy returns a deep copy of the allocation, its job included.
func (a *Allocation) Copy() *Allocation {
	c := a.CopySkipJob()
	if c != nil {
		c.Job = a.Job.Copy()
	}
	return c
}

// Copy returns a deep copy of the evaluation.
func (e *Evaluation) Copy() *Evaluation {
	if e == nil {
		return nil
	}
	c := *e
	if e.FailedTGAllocs != nil {
		c.FailedTGAllocs = make(map[string]*AllocMetric, len(e.FailedTGAllocs))
		for k, m := range e.FailedTGAllocs {
			c.FailedTGAllocs[k] = m.Copy()
		}
	}
	c.QueuedAllocations = copyIntMap(e.QueuedAllocations)
	if e.ClassEligibility != nil {
		c.ClassEligibility = make(map[string]bool, len(e.ClassEligibility))
		for k, v := range e.ClassEligibility {
			c.ClassEligibility[k] = v
		}
	}
	return &c
}
