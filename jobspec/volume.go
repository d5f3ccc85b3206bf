package jobspec

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-dev/orch/api"
)

var volumeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "source"}, {Name: "read_only"}, {Name: "per_alloc"}},
}

var volumeMountSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "volume"}, {Name: "destination"}, {Name: "read_only"}, {Name: "propagation_mode"}},
}

// volumes decodes a group's `volume "name" { ... }` blocks and returns
// them with where each is declared, so the tasks' volume_mount blocks can
// be checked against them.
func (e *evaluator) volumes(blocks hcl.Blocks) (map[string]*api.VolumeRequest, map[string]hcl.Range) {
	vbs := blocksOf(blocks, "volume")
	if len(vbs) == 0 {
		return nil, nil
	}
	out := make(map[string]*api.VolumeRequest, len(vbs))
	declared := make(map[string]hcl.Range, len(vbs))
	for _, b := range vbs {
		name := b.Labels[0]
		if name == "" {
			e.errorf(b.LabelRanges[0], "Invalid volume name", "the volume name (the label of the volume block) must not be empty")
			continue
		}
		if first, dup := declared[name]; dup {
			e.errorf(b.LabelRanges[0], "Duplicate volume name",
				"volume names must be unique within a group; %q is already declared at %s", name, first)
			continue
		}
		declared[name] = b.LabelRanges[0]
		out[name] = e.volume(b, name)
	}
	return out, declared
}

func (e *evaluator) volume(b *hcl.Block, name string) *api.VolumeRequest {
	c := e.content(b.Body, "volume", volumeSchema)
	v := &api.VolumeRequest{Name: name}
	rangeOf := func(attr string) hcl.Range { return c.Attributes[attr].Expr.Range() }
	typ := e.stringAttr(c.Attributes, "type")
	switch {
	case typ == nil:
		if _, set := c.Attributes["type"]; !set {
			e.errorf(b.DefRange, "Missing volume type",
				"volume %q needs a type; orch supports host volumes: type = %q", name, api.VolumeTypeHost)
		}
	case *typ == api.VolumeTypeHost:
		v.Type = *typ
	case *typ == api.VolumeTypeCSI:
		e.errorf(rangeOf("type"), invalidValue("type"),
			"CSI volumes are not supported by orch; use type = %q with a client host_volume", api.VolumeTypeHost)
	default:
		e.errorf(rangeOf("type"), invalidValue("type"), "type must be %q, got %q", api.VolumeTypeHost, *typ)
	}
	if s := e.stringAttr(c.Attributes, "source"); s != nil {
		v.Source = *s
		if strings.TrimSpace(*s) == "" {
			e.errorf(rangeOf("source"), invalidValue("source"),
				"source must name a host_volume of the client, got an empty string")
		}
	} else if _, set := c.Attributes["source"]; !set {
		e.errorf(b.DefRange, "Missing volume source",
			"volume %q needs a source: the name of a client's host_volume, for example source = %q", name, name)
	}
	if ro := e.boolAttr(c.Attributes, "read_only"); ro != nil {
		v.ReadOnly = *ro
	}
	if pa := e.boolAttr(c.Attributes, "per_alloc"); pa != nil {
		v.PerAlloc = *pa
	}
	return v
}

// volumeMounts decodes a task's volume_mount blocks. groupVolumes holds
// the volumes of the enclosing group, so a mount of a volume the group
// does not declare is reported at the mount.
func (e *evaluator) volumeMounts(blocks hcl.Blocks, groupVolumes map[string]hcl.Range) []*api.VolumeMount {
	var out []*api.VolumeMount
	for _, b := range blocksOf(blocks, "volume_mount") {
		out = append(out, e.volumeMount(b, groupVolumes))
	}
	return out
}

func (e *evaluator) volumeMount(b *hcl.Block, groupVolumes map[string]hcl.Range) *api.VolumeMount {
	c := e.content(b.Body, "volume_mount", volumeMountSchema)
	m := &api.VolumeMount{
		Volume:          e.stringAttr(c.Attributes, "volume"),
		Destination:     e.stringAttr(c.Attributes, "destination"),
		ReadOnly:        e.boolAttr(c.Attributes, "read_only"),
		PropagationMode: e.stringAttr(c.Attributes, "propagation_mode"),
	}
	rangeOf := func(attr string) hcl.Range { return c.Attributes[attr].Expr.Range() }
	switch {
	case m.Volume != nil:
		if _, ok := groupVolumes[*m.Volume]; !ok {
			e.errorf(rangeOf("volume"), "Unknown volume", "volume %q is not declared in the group; %s",
				*m.Volume, declaredVolumes(groupVolumes))
		}
	case c.Attributes["volume"] == nil:
		e.errorf(b.DefRange, "Missing volume", "volume_mount needs volume: the name of one of the group's volume blocks")
	}
	switch d := m.Destination; {
	case d != nil && !path.IsAbs(*d):
		e.errorf(rangeOf("destination"), invalidValue("destination"),
			"destination must be an absolute path inside the task, such as \"/srv/data\", got %q", *d)
	case d == nil && c.Attributes["destination"] == nil:
		e.errorf(b.DefRange, "Missing destination", "volume_mount needs destination: the absolute path inside the task to mount the volume at")
	}
	if pm := m.PropagationMode; pm != nil && *pm != api.VolumeMountPropagationPrivate {
		e.errorf(rangeOf("propagation_mode"), invalidValue("propagation_mode"),
			"propagation_mode must be %q, the only mode orch supports, got %q", api.VolumeMountPropagationPrivate, *pm)
	}
	return m
}

func declaredVolumes(vols map[string]hcl.Range) string {
	if len(vols) == 0 {
		return "the group has no volume block"
	}
	names := make([]string, 0, len(vols))
	for n := range vols {
		names = append(names, fmt.Sprintf("%q", n))
	}
	sort.Strings(names)
	return "declared volumes: " + strings.Join(names, ", ")
}
