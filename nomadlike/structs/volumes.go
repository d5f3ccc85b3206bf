package structs

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Volume types a group's volume block may name. orch implements host
// volumes; "csi" is Nomad's other type and is refused with a clear error.
const (
	VolumeTypeHost = "host"
	VolumeTypeCSI  = "csi"
)

// Mount propagation modes of a volume_mount, as Nomad names them. orch
// mounts every volume "private": the host's later mounts below the volume
// stay invisible to the task and the task's never reach the host.
const (
	VolumeMountPropagationPrivate       = "private"
	VolumeMountPropagationHostToTask    = "host-to-task"
	VolumeMountPropagationBidirectional = "bidirectional"
)

// ClientHostVolumeConfig is a host directory the client's operator offers
// to jobs under Name (the agent's `host_volume "name" { path, read_only }`).
// Field names are Nomad's, so /v1/node/:id shows the same HostVolumes.
type ClientHostVolumeConfig struct {
	Name     string
	Path     string
	ReadOnly bool
}

// VolumeRequest is a group's `volume "name" { ... }` block: the group wants
// the node's volume Source, mounted read-only when ReadOnly. With PerAlloc
// each allocation wants its own volume, "<Source>[<alloc index>]".
type VolumeRequest struct {
	Name     string
	Type     string
	Source   string
	ReadOnly bool
	PerAlloc bool
}

// VolumeMount is a task's `volume_mount` block: the group volume Volume
// appears in the task at Destination, read-only when ReadOnly (or when the
// request or the node's volume is read-only).
type VolumeMount struct {
	Volume          string
	Destination     string
	ReadOnly        bool
	PropagationMode string
}

// AllocSuffix returns the "[<index>]" ending of an allocation name
// ("web.cache[2]" → "[2]"), or "" when the name has none. A per_alloc
// volume request wants the source with this suffix.
func AllocSuffix(allocName string) string {
	open := strings.LastIndexByte(allocName, '[')
	if open < 0 || !strings.HasSuffix(allocName, "]") {
		return ""
	}
	return allocName[open:]
}

// SourceFor is the node volume the request wants for the allocation named
// allocName.
func (v *VolumeRequest) SourceFor(allocName string) string {
	if v.PerAlloc {
		return v.Source + AllocSuffix(allocName)
	}
	return v.Source
}

// Copy returns a copy of the host volume config.
func (c *ClientHostVolumeConfig) Copy() *ClientHostVolumeConfig {
	if c == nil {
		return nil
	}
	n := *c
	return &n
}

func copyHostVolumes(m map[string]*ClientHostVolumeConfig) map[string]*ClientHostVolumeConfig {
	if m == nil {
		return nil
	}
	c := make(map[string]*ClientHostVolumeConfig, len(m))
	for k, v := range m {
		c[k] = v.Copy()
	}
	return c
}

func copyVolumeRequests(m map[string]*VolumeRequest) map[string]*VolumeRequest {
	if m == nil {
		return nil
	}
	c := make(map[string]*VolumeRequest, len(m))
	for k, v := range m {
		if v != nil {
			n := *v
			c[k] = &n
		} else {
			c[k] = nil
		}
	}
	return c
}

func copyVolumeMounts(ms []*VolumeMount) []*VolumeMount {
	if ms == nil {
		return nil
	}
	c := make([]*VolumeMount, len(ms))
	for i, m := range ms {
		if m != nil {
			n := *m
			c[i] = &n
		}
	}
	return c
}

// validateVolumes checks the group's volume requests against the job
// type and its tasks' mounts against the requests. It is separate from
// TaskGroup.validate because per_alloc depends on the job's type.
func (tg *TaskGroup) validateVolumes(p *problems, index int, jobType string) {
	where := fmt.Sprintf("TaskGroups[%d]", index)
	if tg.Name != "" {
		where = fmt.Sprintf("TaskGroups[%q]", tg.Name)
	}
	validateVolumes(p, where+".Volumes", jobType, tg.Volumes)
	for i, t := range tg.Tasks {
		if t == nil {
			continue
		}
		tp := fmt.Sprintf("%s.Tasks[%d]", where, i)
		if t.Name != "" {
			tp = fmt.Sprintf("%s.Tasks[%q]", where, t.Name)
		}
		validateVolumeMounts(p, tp+".VolumeMounts", t.VolumeMounts, tg.Volumes)
	}
}

// validateVolumes checks a group's volume requests against the job type.
func validateVolumes(p *problems, where, jobType string, vols map[string]*VolumeRequest) {
	for _, name := range slices.Sorted(maps.Keys(vols)) {
		v := vols[name]
		vp := fmt.Sprintf("%s[%q]", where, name)
		if v == nil {
			p.addf(vp, "empty volume request")
			continue
		}
		if v.Name != "" && v.Name != name {
			p.addf(vp+".Name", "%q differs from the volume's key %q", v.Name, name)
		}
		switch v.Type {
		case VolumeTypeHost:
		case VolumeTypeCSI:
			p.addf(vp+".Type", "CSI volumes are not supported by orch: use %q", VolumeTypeHost)
		default:
			p.addf(vp+".Type", "%q is not a volume type: want %q", v.Type, VolumeTypeHost)
		}
		if v.Source == "" {
			p.addf(vp+".Source", "missing source: name the client's host_volume to mount")
		}
		if v.PerAlloc && (jobType == JobTypeSystem || jobType == JobTypeSysBatch) {
			p.addf(vp+".PerAlloc", "a %s job cannot use per_alloc volumes: its allocations all have index 0", jobType)
		}
	}
}

// validateVolumeMounts checks that a task's mounts name volumes of its
// group and say where they go.
func validateVolumeMounts(p *problems, where string, mounts []*VolumeMount, vols map[string]*VolumeRequest) {
	dests := make(map[string]int, len(mounts))
	for i, m := range mounts {
		mp := fmt.Sprintf("%s[%d]", where, i)
		if m == nil {
			p.addf(mp, "empty volume mount")
			continue
		}
		if _, ok := vols[m.Volume]; !ok {
			p.addf(mp+".Volume", "%q is not a volume of the group: want one of %s", m.Volume, volumeNames(vols))
		}
		switch {
		case m.Destination == "":
			p.addf(mp+".Destination", "missing destination: the path inside the task to mount the volume at")
		case !path.IsAbs(m.Destination):
			p.addf(mp+".Destination", "%q is not an absolute path", m.Destination)
		default:
			clean := path.Clean(m.Destination)
			if first, dup := dests[clean]; dup {
				p.addf(mp+".Destination", "%q is already the destination of volume mount %d", m.Destination, first)
			}
			dests[clean] = i
		}
		switch m.PropagationMode {
		case "", VolumeMountPropagationPrivate:
		case VolumeMountPropagationHostToTask, VolumeMountPropagationBidirectional:
			p.addf(mp+".PropagationMode", "%q is not supported by orch: only %q", m.PropagationMode, VolumeMountPropagationPrivate)
		default:
			p.addf(mp+".PropagationMode", "%q is not a propagation mode: want %q", m.PropagationMode, VolumeMountPropagationPrivate)
		}
	}
}

func volumeNames(vols map[string]*VolumeRequest) string {
	if len(vols) == 0 {
		return "none (the group has no volume block)"
	}
	names := slices.Sorted(maps.Keys(vols))
	for i, n := range names {
		names[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(names, ", ")
}
