package structs

import "sort"

// TaskPorts is every labelled port a task of the allocation may use: the
// group's network blocks, then the task's own, then the group's port
// mappings, a later source winning for a label given twice. The task
// environment (NOMAD_PORT_*) and drivers that publish ports (docker) both
// read it, so the two can never disagree. Sorted by label.
func (a *AllocatedResources) TaskPorts(taskName string) []PortMapping {
	if a == nil {
		return nil
	}
	byLabel := make(map[string]PortMapping)
	addNetworks := func(nets []*NetworkResource) {
		for _, n := range nets {
			if n == nil {
				continue
			}
			for _, group := range [][]Port{n.ReservedPorts, n.DynamicPorts} {
				for _, p := range group {
					byLabel[p.Label] = PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: n.IP}
				}
			}
		}
	}
	addNetworks(a.Shared.Networks)
	if tr := a.Tasks[taskName]; tr != nil && taskName != "" {
		addNetworks(tr.Networks)
	}
	for _, m := range a.Shared.Ports {
		byLabel[m.Label] = m
	}
	if len(byLabel) == 0 {
		return nil
	}
	out := make([]PortMapping, 0, len(byLabel))
	for _, m := range byLabel {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}
