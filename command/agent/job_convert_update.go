package agent

import (
	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// convertUpdate converts a group's canonical update block.
func convertUpdate(in *api.UpdateStrategy) *structs.UpdateStrategy {
	if in == nil {
		return nil
	}
	return &structs.UpdateStrategy{
		Stagger:          deref(in.Stagger),
		MaxParallel:      deref(in.MaxParallel),
		HealthCheck:      deref(in.HealthCheck),
		MinHealthyTime:   deref(in.MinHealthyTime),
		HealthyDeadline:  deref(in.HealthyDeadline),
		ProgressDeadline: deref(in.ProgressDeadline),
		AutoRevert:       deref(in.AutoRevert),
		AutoPromote:      deref(in.AutoPromote),
		Canary:           deref(in.Canary),
		MaxSurge:         deref(in.MaxSurge),
	}
}

// convertJobUpdate keeps of the job-level block only what Nomad keeps
// there, Stagger and MaxParallel, and only when the block enables updates:
// Canonicalize already merged the whole block into the groups.
func convertJobUpdate(in *api.UpdateStrategy) structs.UpdateStrategy {
	if in == nil || deref(in.MaxParallel) <= 0 {
		return structs.UpdateStrategy{}
	}
	return structs.UpdateStrategy{Stagger: deref(in.Stagger), MaxParallel: deref(in.MaxParallel)}
}
