package nomadlike

import "github.com/orch-dev/orch/nomadlike/structs"

// dropUncommittedCanaries keeps a partially committed plan's deployment
// honest: a canary the plan meant to place on a node that was dropped is
// not placed, so it must not be listed among the deployment's canaries.
// The store adds every canary it does commit on its own.
func dropUncommittedCanaries(result *structs.PlanResult) {
	d := result.Deployment
	if d == nil {
		return
	}
	committed := make(map[string]bool)
	for _, allocs := range result.NodeAllocation {
		for _, a := range allocs {
			committed[a.ID] = true
		}
	}
	for _, st := range d.TaskGroups {
		kept := st.PlacedCanaries[:0]
		for _, id := range st.PlacedCanaries {
			if committed[id] {
				kept = append(kept, id)
			}
		}
		st.PlacedCanaries = kept
	}
}
