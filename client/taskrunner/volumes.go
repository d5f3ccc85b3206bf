package taskrunner

import (
	"fmt"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// taskMounts resolves the task's volume_mount blocks into host mounts for
// the driver: each names a volume of the group, whose request names a host
// volume of this node (with per_alloc, the one for this allocation's
// index), whose path is mounted at the mount's destination. A mount is
// read-only when the mount, the request or the node's volume says so.
//
// The scheduler placed the allocation on a node that offered the volumes,
// so an error here means the node's configuration changed since (or a bug)
// and the task must not start without its data.
func taskMounts(alloc *structs.Allocation, task *structs.Task, node *structs.Node) ([]sdk.MountConfig, error) {
	if len(task.VolumeMounts) == 0 {
		return nil, nil
	}
	var tg *structs.TaskGroup
	if alloc.Job != nil {
		tg = alloc.Job.LookupTaskGroup(alloc.TaskGroup)
	}
	if tg == nil {
		return nil, fmt.Errorf("volume mounts: group %q is not in the allocation's job", alloc.TaskGroup)
	}
	out := make([]sdk.MountConfig, 0, len(task.VolumeMounts))
	for i, m := range task.VolumeMounts {
		req := tg.Volumes[m.Volume]
		if req == nil {
			return nil, fmt.Errorf("volume mount %d: the group has no volume %q", i, m.Volume)
		}
		if req.Type != structs.VolumeTypeHost {
			return nil, fmt.Errorf("volume %q: type %q is not supported by this client", m.Volume, req.Type)
		}
		source := req.SourceFor(alloc.Name)
		var hv *structs.ClientHostVolumeConfig
		if node != nil {
			hv = node.HostVolumes[source]
		}
		if hv == nil {
			return nil, fmt.Errorf("volume %q: host volume %q is not configured on this node", m.Volume, source)
		}
		out = append(out, sdk.MountConfig{
			TaskPath:        m.Destination,
			HostPath:        hv.Path,
			Readonly:        m.ReadOnly || req.ReadOnly || hv.ReadOnly,
			PropagationMode: m.PropagationMode,
		})
	}
	return out, nil
}

func setupFailureEvent(err error) *structs.TaskEvent {
	ev := newEvent(structs.TaskSetupFailure, err.Error())
	ev.Message, ev.FailsTask = err.Error(), true
	ev.Details["setup_error"] = err.Error()
	ev.Details["fails_task"] = "true"
	return ev
}
