package allocrunner

import "github.com/orch-dev/orch/client/state"

// restored is the persisted record of task, empty when there is none.
func restored(cfg *Config, task string) *state.TaskRecord {
	if rec := cfg.Restored[task]; rec != nil {
		return rec
	}
	return &state.TaskRecord{}
}
