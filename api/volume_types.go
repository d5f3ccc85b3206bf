package api

// Volume types and mount propagation modes, as Nomad names them.
const (
	VolumeTypeHost = "host"
	VolumeTypeCSI  = "csi"

	VolumeMountPropagationPrivate       = "private"
	VolumeMountPropagationHostToTask    = "host-to-task"
	VolumeMountPropagationBidirectional = "bidirectional"
)

// VolumeRequest is a group's `volume "name" { ... }` block: the client's
// host volume Source, read-only when ReadOnly, one per allocation
// ("<Source>[<index>]") when PerAlloc. Plain fields, as in Nomad's API:
// their zero values are the defaults.
type VolumeRequest struct {
	Name     string
	Type     string
	Source   string
	ReadOnly bool
	PerAlloc bool
}

// VolumeMount is a task's `volume_mount` block: the group volume Volume
// at Destination inside the task.
type VolumeMount struct {
	Volume          *string
	Destination     *string
	ReadOnly        *bool
	PropagationMode *string
}

// HostVolumeInfo is a host volume a node offers, as /v1/node/:id shows it.
type HostVolumeInfo struct {
	Path     string
	ReadOnly bool
}

// Canonicalize fills a mount's unset fields with Nomad's defaults.
func (m *VolumeMount) Canonicalize() {
	if m == nil {
		return
	}
	setDefault(&m.Volume, "")
	setDefault(&m.Destination, "")
	setDefault(&m.ReadOnly, false)
	setDefault(&m.PropagationMode, VolumeMountPropagationPrivate)
}

// canonicalizeVolumes names each request after its key when the user left
// the name out, as a JSON job may.
func (g *TaskGroup) canonicalizeVolumes() {
	for name, v := range g.Volumes {
		if v != nil && v.Name == "" {
			v.Name = name
		}
	}
}
