package nomadlike

import (
	"fmt"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"github.com/orch-dev/orch/nomadlike/state"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// snapDeployment is the snapshot record of a deployment; 20 is the number
// set aside for it.
const snapDeployment snapshotRecord = 21

func init() {
	add := func(t structs.MessageType, name string, apply fsmApplier) {
		fsmAppliers[t] = struct {
			name  string
			apply fsmApplier
		}{name, apply}
	}
	add(structs.DeploymentStatusUpdateRequestType, "deployment_status_update", (*FSM).applyDeploymentStatusUpdate)
	add(structs.DeploymentPromoteRequestType, "deployment_promotion", (*FSM).applyDeploymentPromotion)
	add(structs.DeploymentAllocHealthRequestType, "deployment_alloc_health", (*FSM).applyDeploymentAllocHealth)
	add(structs.DeploymentDeleteRequestType, "deployment_delete", (*FSM).applyDeploymentDelete)

	snapshotTables[snapDeployment] = snapshotTable{
		persist: func(st *state.StateStore, put func(snapshotRecord, interface{}) error) error {
			ds, err := st.Deployments(nil, state.AllNamespaces, "")
			if err != nil {
				return err
			}
			for _, d := range ds {
				if err := put(snapDeployment, d); err != nil {
					return err
				}
			}
			return nil
		},
		restore: func(dec *codec.Decoder, r *state.StateRestore) error {
			d := new(structs.Deployment)
			if err := dec.Decode(d); err != nil {
				return err
			}
			return r.DeploymentRestore(d)
		},
	}
}

func (f *FSM) applyDeploymentStatusUpdate(buf []byte, index uint64) ([]string, error) {
	var req structs.DeploymentStatusUpdateRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode deployment status update: %w", err)
	}
	if err := f.State().UpdateDeploymentStatus(index, &req); err != nil {
		return nil, err
	}
	return evalIDs([]*structs.Evaluation{req.Eval}), nil
}

func (f *FSM) applyDeploymentPromotion(buf []byte, index uint64) ([]string, error) {
	var req structs.ApplyDeploymentPromoteRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode deployment promotion: %w", err)
	}
	if err := f.State().UpdateDeploymentPromotion(index, &req); err != nil {
		return nil, err
	}
	return evalIDs([]*structs.Evaluation{req.Eval}), nil
}

func (f *FSM) applyDeploymentAllocHealth(buf []byte, index uint64) ([]string, error) {
	var req structs.ApplyDeploymentAllocHealthRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode deployment alloc health: %w", err)
	}
	if err := f.State().UpdateDeploymentAllocHealth(index, &req); err != nil {
		return nil, err
	}
	return evalIDs([]*structs.Evaluation{req.Eval}), nil
}

func (f *FSM) applyDeploymentDelete(buf []byte, index uint64) ([]string, error) {
	var req structs.DeploymentDeleteRequest
	if err := decodeMsg(buf, &req); err != nil {
		return nil, fmt.Errorf("fsm: decode deployment delete: %w", err)
	}
	return nil, f.State().DeleteDeployments(index, req.Deployments)
}
