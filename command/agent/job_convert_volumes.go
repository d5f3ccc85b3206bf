package agent

import (
	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// convertVolumes copies a group's volume requests; a nil entry is kept so
// that validation names it rather than the volume silently vanishing.
func convertVolumes(in map[string]*api.VolumeRequest) map[string]*structs.VolumeRequest {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]*structs.VolumeRequest, len(in))
	for name, v := range in {
		if v == nil {
			out[name] = nil
			continue
		}
		out[name] = &structs.VolumeRequest{
			Name: v.Name, Type: v.Type, Source: v.Source, ReadOnly: v.ReadOnly, PerAlloc: v.PerAlloc,
		}
	}
	return out
}

func convertVolumeMounts(in []*api.VolumeMount) []*structs.VolumeMount {
	var out []*structs.VolumeMount
	for _, m := range in {
		if m == nil {
			continue
		}
		out = append(out, &structs.VolumeMount{
			Volume:          deref(m.Volume),
			Destination:     deref(m.Destination),
			ReadOnly:        deref(m.ReadOnly),
			PropagationMode: deref(m.PropagationMode),
		})
	}
	return out
}
