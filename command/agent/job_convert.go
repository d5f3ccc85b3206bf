package agent

import (
	"maps"
	"slices"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// ConvertJob canonicalizes a user's job and converts it to the server's
// form. It changes in (defaults are filled in place) and shares no memory
// with the result. Fields still unset after canonicalization become zero.
func ConvertJob(in *api.Job) *structs.Job {
	if in == nil {
		return nil
	}
	in.Canonicalize()
	out := &structs.Job{
		Region:            deref(in.Region),
		Namespace:         deref(in.Namespace),
		ID:                deref(in.ID),
		Name:              deref(in.Name),
		Type:              deref(in.Type),
		Priority:          deref(in.Priority),
		AllAtOnce:         deref(in.AllAtOnce),
		Datacenters:       slices.Clone(in.Datacenters),
		NodePool:          deref(in.NodePool),
		Constraints:       convertConstraints(in.Constraints),
		Affinities:        convertAffinities(in.Affinities),
		Spreads:           convertSpreads(in.Spreads),
		Update:            convertJobUpdate(in.Update),
		Meta:              maps.Clone(in.Meta),
		Stop:              deref(in.Stop),
		ParentID:          deref(in.ParentID),
		Dispatched:        in.Dispatched,
		Periodic:          convertPeriodic(in.Periodic),
		ParameterizedJob:  convertParameterized(in.ParameterizedJob),
		Payload:           slices.Clone(in.Payload),
		Status:            deref(in.Status),
		StatusDescription: deref(in.StatusDescription),
		Stable:            deref(in.Stable),
		Version:           deref(in.Version),
		SubmitTime:        deref(in.SubmitTime),
		CreateIndex:       deref(in.CreateIndex),
		ModifyIndex:       deref(in.ModifyIndex),
		JobModifyIndex:    deref(in.JobModifyIndex),
	}
	for _, tg := range in.TaskGroups {
		if tg != nil {
			out.TaskGroups = append(out.TaskGroups, convertTaskGroup(tg))
		}
	}
	return out
}

func convertTaskGroup(in *api.TaskGroup) *structs.TaskGroup {
	out := &structs.TaskGroup{
		Name:          deref(in.Name),
		Count:         deref(in.Count),
		Constraints:   convertConstraints(in.Constraints),
		Affinities:    convertAffinities(in.Affinities),
		Spreads:       convertSpreads(in.Spreads),
		RestartPolicy: convertRestartPolicy(in.RestartPolicy),
		Networks:      convertNetworks(in.Networks),
		Meta:          maps.Clone(in.Meta),
		Volumes:       convertVolumes(in.Volumes),
		Update:        convertUpdate(in.Update),
		Scaling:       convertScaling(in.Scaling),
		Services:      convertServices(in.Services),
	}
	if in.ShutdownDelay != nil {
		d := *in.ShutdownDelay
		out.ShutdownDelay = &d
	}
	convertGroupReschedule(in, out)
	if d := in.EphemeralDisk; d != nil {
		out.EphemeralDisk = &structs.EphemeralDisk{
			Sticky:  deref(d.Sticky),
			SizeMB:  deref(d.SizeMB),
			Migrate: deref(d.Migrate),
		}
	}
	if m := in.Migrate; m != nil {
		out.Migrate = &structs.MigrateStrategy{
			MaxParallel:     deref(m.MaxParallel),
			HealthCheck:     deref(m.HealthCheck),
			MinHealthyTime:  deref(m.MinHealthyTime),
			HealthyDeadline: deref(m.HealthyDeadline),
		}
	}
	for _, t := range in.Tasks {
		if t == nil {
			continue
		}
		task := convertTask(t)
		// The client restarts by the task's policy; a task without its own
		// takes the group's, which is what the user wrote it for.
		if task.RestartPolicy == nil && out.RestartPolicy != nil {
			rp := *out.RestartPolicy
			task.RestartPolicy = &rp
		}
		out.Tasks = append(out.Tasks, task)
	}
	return out
}

func convertTask(in *api.Task) *structs.Task {
	out := &structs.Task{
		Name:            in.Name,
		Driver:          in.Driver,
		User:            in.User,
		Config:          deepCopyConfig(in.Config),
		Constraints:     convertConstraints(in.Constraints),
		Affinities:      convertAffinities(in.Affinities),
		Env:             maps.Clone(in.Env),
		RestartPolicy:   convertRestartPolicy(in.RestartPolicy),
		Meta:            maps.Clone(in.Meta),
		KillTimeout:     deref(in.KillTimeout),
		Leader:          in.Leader,
		KillSignal:      in.KillSignal,
		DispatchPayload: convertDispatchPayload(in.DispatchPayload),
		VolumeMounts:    convertVolumeMounts(in.VolumeMounts),
		Services:        convertServices(in.Services),
		Templates:       convertTemplates(in.Templates),
		ShutdownDelay:   in.ShutdownDelay,
	}
	if r := in.Resources; r != nil {
		out.Resources = &structs.Resources{
			CPU:         deref(r.CPU),
			Cores:       deref(r.Cores),
			MemoryMB:    deref(r.MemoryMB),
			MemoryMaxMB: deref(r.MemoryMaxMB),
			DiskMB:      deref(r.DiskMB),
			Networks:    convertNetworks(r.Networks),
		}
	}
	if l := in.LogConfig; l != nil {
		out.LogConfig = &structs.LogConfig{
			MaxFiles:      deref(l.MaxFiles),
			MaxFileSizeMB: deref(l.MaxFileSizeMB),
			Disabled:      deref(l.Disabled),
		}
	}
	if lc := in.Lifecycle; lc != nil {
		out.Lifecycle = &structs.TaskLifecycleConfig{Hook: lc.Hook, Sidecar: lc.Sidecar}
	}
	for _, a := range in.Artifacts {
		if a == nil {
			continue
		}
		out.Artifacts = append(out.Artifacts, &structs.TaskArtifact{
			GetterSource:  deref(a.GetterSource),
			GetterOptions: maps.Clone(a.GetterOptions),
			GetterHeaders: maps.Clone(a.GetterHeaders),
			GetterMode:    deref(a.GetterMode),
			RelativeDest:  deref(a.RelativeDest),
		})
	}
	return out
}

func convertConstraints(in []*api.Constraint) []*structs.Constraint {
	var out []*structs.Constraint
	for _, c := range in {
		if c != nil {
			out = append(out, &structs.Constraint{LTarget: c.LTarget, RTarget: c.RTarget, Operand: c.Operand})
		}
	}
	return out
}

func convertRestartPolicy(in *api.RestartPolicy) *structs.RestartPolicy {
	if in == nil {
		return nil
	}
	return &structs.RestartPolicy{
		Attempts: deref(in.Attempts),
		Interval: deref(in.Interval),
		Delay:    deref(in.Delay),
		Mode:     deref(in.Mode),
	}
}

func convertNetworks(in []*api.NetworkResource) []*structs.NetworkResource {
	var out []*structs.NetworkResource
	for _, n := range in {
		if n == nil {
			continue
		}
		out = append(out, &structs.NetworkResource{
			Mode:          n.Mode,
			Device:        n.Device,
			CIDR:          n.CIDR,
			IP:            n.IP,
			MBits:         deref(n.MBits),
			ReservedPorts: convertPorts(n.ReservedPorts),
			DynamicPorts:  convertPorts(n.DynamicPorts),
		})
	}
	return out
}

func convertPorts(in []api.Port) []structs.Port {
	if in == nil {
		return nil
	}
	out := make([]structs.Port, len(in))
	for i, p := range in {
		out[i] = structs.Port{Label: p.Label, Value: p.Value, To: p.To, HostNetwork: p.HostNetwork}
	}
	return out
}

// deepCopyConfig copies a driver config, which holds nested maps and lists
// decoded from HCL or JSON, so the server's job shares nothing with the
// request.
func deepCopyConfig(in map[string]interface{}) map[string]interface{} {
	if in == nil {
		return nil
	}
	out := make(map[string]interface{}, len(in))
	for k, v := range in {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		return deepCopyConfig(x)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = deepCopyValue(e)
		}
		return out
	case []string:
		return slices.Clone(x)
	}
	return v
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
