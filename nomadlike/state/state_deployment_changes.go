package state

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Operators' changes to a deployment: promotion and allocation health.
// Each has a Check method the endpoint calls before going through Raft,
// so bad input is refused with a clear error and no log entry, and the
// same check runs again inside the write, against the state the entry
// applies to.

func unixNano(ns int64) time.Time { return time.Unix(0, ns) }

// CheckDeploymentPromotion reports why req cannot be applied now, or nil.
func (s *StateStore) CheckDeploymentPromotion(req *structs.DeploymentPromoteRequest) error {
	_, err := checkPromotionTxn(s.db.Txn(false), req)
	return err
}

// checkPromotionTxn returns the deployment to promote, or why it cannot
// be: it does not exist or has finished, a named group is not part of it,
// no group selected has canaries, or a selected canary is not healthy.
func checkPromotionTxn(txn *memdb.Txn, req *structs.DeploymentPromoteRequest) (*structs.Deployment, error) {
	d, err := activeDeploymentTxn(txn, req.DeploymentID)
	if err != nil {
		return nil, err
	}
	selected := make(map[string]bool, len(d.TaskGroups))
	for name := range d.TaskGroups {
		selected[name] = req.All
	}
	if !req.All {
		if len(req.Groups) == 0 {
			return nil, fmt.Errorf("%w: name the task groups to promote, or promote all", structs.ErrBadRequest)
		}
		for _, g := range req.Groups {
			if _, ok := d.TaskGroups[g]; !ok {
				return nil, fmt.Errorf("%w: deployment %q has no task group %q (its groups: %s)",
					structs.ErrBadRequest, d.ID, g, groupNames(d))
			}
			selected[g] = true
		}
	}
	healthy := make(map[string]int)
	var problems []error
	for name, st := range d.TaskGroups {
		if !selected[name] {
			continue
		}
		for _, id := range st.PlacedCanaries {
			a, err := allocByIDTxn(txn, nil, id)
			if err != nil {
				return nil, err
			}
			if a == nil || a.ServerTerminalStatus() {
				continue // replaced or stopped: not part of the promotion
			}
			if !a.DeploymentStatus.IsHealthy() {
				problems = append(problems, fmt.Errorf("canary allocation %q of task group %q is not healthy", id, name))
				continue
			}
			healthy[name]++
		}
		if n := healthy[name]; n < st.DesiredCanaries && len(problems) == 0 {
			problems = append(problems, fmt.Errorf("task group %q has %d of %d canaries healthy", name, n, st.DesiredCanaries))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: cannot promote deployment %q: %w", structs.ErrBadRequest, d.ID, errors.Join(problems...))
	}
	total := 0
	for _, n := range healthy {
		total += n
	}
	if total == 0 {
		return nil, fmt.Errorf("%w: deployment %q has no canaries to promote", structs.ErrBadRequest, d.ID)
	}
	return d, nil
}

// UpdateDeploymentPromotion promotes the selected groups' canaries and
// writes the evaluation that rolls out the rest. The canaries keep their
// Canary flag; the groups are marked Promoted and their progress deadline
// restarts at req.Now.
func (s *StateStore) UpdateDeploymentPromotion(index uint64, req *structs.ApplyDeploymentPromoteRequest) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	d, err := checkPromotionTxn(txn, &req.DeploymentPromoteRequest)
	if err != nil {
		return err
	}
	groups := make(map[string]bool, len(req.Groups))
	for _, g := range req.Groups {
		groups[g] = true
	}
	c := d.Copy()
	c.ModifyIndex = index
	for name, st := range c.TaskGroups {
		if !req.All && !groups[name] {
			continue
		}
		st.Promoted = true
		if st.ProgressDeadline > 0 && !st.RequireProgressBy.IsZero() && !req.Now.IsZero() {
			st.RequireProgressBy = req.Now.Add(st.ProgressDeadline)
		}
	}
	if c.Status == structs.DeploymentStatusRunning && !c.RequiresPromotion() {
		c.StatusDescription = structs.DeploymentStatusDescriptionRunning
	}
	if err := insertDeploymentTxn(txn, index, c); err != nil {
		return err
	}
	if err := upsertJobAndEvalTxn(txn, index, nil, req.Eval, s.jobTrackedVersions()); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// CheckDeploymentAllocHealth reports why req cannot be applied now, or nil.
func (s *StateStore) CheckDeploymentAllocHealth(req *structs.DeploymentAllocHealthRequest) error {
	_, err := checkAllocHealthTxn(s.db.Txn(false), req)
	return err
}

// checkAllocHealthTxn returns the deployment, or why the health marks
// cannot be set: no allocation named, an allocation named twice, one that
// does not exist or is not part of the deployment.
func checkAllocHealthTxn(txn *memdb.Txn, req *structs.DeploymentAllocHealthRequest) (*structs.Deployment, error) {
	d, err := activeDeploymentTxn(txn, req.DeploymentID)
	if err != nil {
		return nil, err
	}
	if len(req.HealthyAllocationIDs)+len(req.UnhealthyAllocationIDs) == 0 {
		return nil, fmt.Errorf("%w: name at least one healthy or unhealthy allocation ID", structs.ErrBadRequest)
	}
	seen := make(map[string]bool)
	var problems []error
	for _, id := range append(append([]string(nil), req.HealthyAllocationIDs...), req.UnhealthyAllocationIDs...) {
		if seen[id] {
			problems = append(problems, fmt.Errorf("allocation %q is named more than once", id))
			continue
		}
		seen[id] = true
		a, err := allocByIDTxn(txn, nil, id)
		switch {
		case err != nil:
			return nil, err
		case a == nil:
			problems = append(problems, fmt.Errorf("allocation %q does not exist", id))
		case a.DeploymentID != d.ID:
			problems = append(problems, fmt.Errorf("allocation %q is not part of deployment %q", id, d.ID))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", structs.ErrBadRequest, errors.Join(problems...))
	}
	return d, nil
}

// UpdateDeploymentAllocHealth sets the health of the named allocations,
// then applies the request's optional status update, job and evaluation,
// all in one transaction.
func (s *StateStore) UpdateDeploymentAllocHealth(index uint64, req *structs.ApplyDeploymentAllocHealthRequest) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if _, err := checkAllocHealthTxn(txn, &req.DeploymentAllocHealthRequest); err != nil {
		return err
	}
	set := func(ids []string, healthy bool) error {
		for _, id := range ids {
			if err := setAllocHealthTxn(txn, index, id, healthy, req.Timestamp); err != nil {
				return err
			}
		}
		return nil
	}
	if err := set(req.HealthyAllocationIDs, true); err != nil {
		return err
	}
	if err := set(req.UnhealthyAllocationIDs, false); err != nil {
		return err
	}
	if err := setIndex(txn, index, TableAllocs); err != nil {
		return err
	}
	if err := updateDeploymentStatusTxn(txn, index, req.DeploymentUpdate); err != nil {
		return err
	}
	if err := upsertJobAndEvalTxn(txn, index, req.Job, req.Eval, s.jobTrackedVersions()); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// setAllocHealthTxn marks one allocation and counts it in its deployment.
// The client status is untouched, so the job summary is too.
func setAllocHealthTxn(txn *memdb.Txn, index uint64, id string, healthy bool, at time.Time) error {
	existing, err := allocByIDTxn(txn, nil, id)
	if err != nil {
		return err
	}
	alloc := existing.CopySkipJob()
	if alloc.DeploymentStatus == nil {
		alloc.DeploymentStatus = &structs.AllocDeploymentStatus{}
	}
	alloc.DeploymentStatus.Healthy = &healthy
	alloc.DeploymentStatus.Timestamp = at
	alloc.DeploymentStatus.ModifyIndex = index
	alloc.ModifyIndex = index
	if err := updateDeploymentWithAllocTxn(txn, index, alloc, existing); err != nil {
		return err
	}
	if err := txn.Insert(TableAllocs, alloc); err != nil {
		return fmt.Errorf("state: set health of alloc %q: %w", id, err)
	}
	return nil
}
