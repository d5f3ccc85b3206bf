package nomadlike

import (
	"fmt"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/stream"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// snapScalingEvents is one job's scaling_event row in a snapshot.
const snapScalingEvents snapshotRecord = 40

func init() {
	fsmAppliers[structs.JobScaleRequestType] = struct {
		name  string
		apply fsmApplier
	}{"job_scale", (*FSM).applyJobScale}
	fsmAppliers[structs.ScalingEventRequestType] = struct {
		name  string
		apply fsmApplier
	}{"scaling_event", (*FSM).applyJobScale}
	// A scale registers a new version, so subscribers see it as Nomad's
	// Job.Scale shows it: a JobRegistered event with its evaluation.
	fsmEventTypes[structs.JobScaleRequestType] = stream.TypeJobRegistered
}

// applyJobScale writes a scale (job version, eval and event) or an event
// alone; both message types share the body.
func (f *FSM) applyJobScale(buf []byte, index uint64) ([]string, error) {
	var req structs.JobScaleApply
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode job scale: %w", err)
	}
	if err := f.State().ApplyJobScale(index, &req); err != nil {
		return nil, err
	}
	var ids []string
	if req.Job != nil {
		f.noteJob(req.Job.Namespace, req.Job.ID)
	}
	if req.Eval != nil {
		ids = []string{req.Eval.ID}
		f.noteEvals(ids)
	}
	return ids, nil
}

func persistScalingEvents(st *state.StateStore, put func(snapshotRecord, interface{}) error) error {
	rows, err := st.AllScalingEvents(nil)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := put(snapScalingEvents, r); err != nil {
			return err
		}
	}
	return nil
}
