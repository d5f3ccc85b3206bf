package state

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// TableDeployment holds deployments, by ID and by job.
const TableDeployment = "deployment"

// indexDeployment indexes allocations by the deployment they belong to.
const indexDeployment = "deployment"

// addDeploymentSchema adds the deployment table, and the index of
// allocations by deployment, to db.
func addDeploymentSchema(db *memdb.DBSchema) {
	db.Tables[TableDeployment] = &memdb.TableSchema{
		Name: TableDeployment,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:  {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexJob: nsIDIndex(indexJob, "Namespace", "JobID", false),
		},
	}
	db.Tables[TableAllocs].Indexes[indexDeployment] = &memdb.IndexSchema{
		Name:         indexDeployment,
		AllowMissing: true, // allocations outside a deployment
		Indexer:      &memdb.StringFieldIndex{Field: "DeploymentID"},
	}
}

// UpsertDeployment inserts or replaces a deployment.
func (s *StateStore) UpsertDeployment(index uint64, d *structs.Deployment) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := upsertDeploymentTxn(txn, index, d); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// upsertDeploymentTxn stores a copy of d: CreateIndex stays that of the
// stored deployment, ModifyIndex becomes index.
func upsertDeploymentTxn(txn *memdb.Txn, index uint64, in *structs.Deployment) error {
	if in == nil || in.ID == "" || in.JobID == "" {
		return fmt.Errorf("state: upsert deployment: %w: deployment, its ID and job ID are required", structs.ErrBadRequest)
	}
	existing, err := deploymentByIDTxn(txn, nil, in.ID)
	if err != nil {
		return err
	}
	d := in.Copy()
	if d.Namespace == "" {
		d.Namespace = structs.DefaultNamespace
	}
	d.CreateIndex = index
	if existing != nil {
		d.CreateIndex = existing.CreateIndex
	}
	d.ModifyIndex = index
	return insertDeploymentTxn(txn, index, d)
}

func insertDeploymentTxn(txn *memdb.Txn, index uint64, d *structs.Deployment) error {
	if err := txn.Insert(TableDeployment, d); err != nil {
		return fmt.Errorf("state: insert deployment %q: %w", d.ID, err)
	}
	return setIndex(txn, index, TableDeployment)
}

// DeploymentByID returns the deployment, or nil if there is none.
func (s *StateStore) DeploymentByID(ws memdb.WatchSet, id string) (*structs.Deployment, error) {
	return deploymentByIDTxn(s.db.Txn(false), ws, id)
}

func deploymentByIDTxn(txn *memdb.Txn, ws memdb.WatchSet, id string) (*structs.Deployment, error) {
	watch, raw, err := txn.FirstWatch(TableDeployment, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: deployment lookup %q: %w", id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Deployment), nil
}

// Deployments returns the deployments of namespace (AllNamespaces for
// all) whose ID starts with prefix, newest first.
func (s *StateStore) Deployments(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Deployment, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableDeployment, indexID+"_prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("state: list deployments: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Deployment
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		d := raw.(*structs.Deployment)
		if namespace == AllNamespaces || d.Namespace == namespace {
			out = append(out, d)
		}
	}
	sortNewestFirst(out)
	return out, nil
}

// DeploymentsByJobID returns every deployment of a job, newest first.
func (s *StateStore) DeploymentsByJobID(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Deployment, error) {
	return deploymentsByJobTxn(s.db.Txn(false), ws, namespace, jobID)
}

func deploymentsByJobTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, jobID string) ([]*structs.Deployment, error) {
	iter, err := txn.Get(TableDeployment, indexJob, namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("state: deployments of job %q: %w", jobID, err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Deployment
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Deployment))
	}
	sortNewestFirst(out)
	return out, nil
}

// LatestDeploymentByJobID returns the job's newest deployment, or nil.
func (s *StateStore) LatestDeploymentByJobID(ws memdb.WatchSet, namespace, jobID string) (*structs.Deployment, error) {
	all, err := s.DeploymentsByJobID(ws, namespace, jobID)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all[0], nil
}

// sortNewestFirst orders by CreateIndex, newest first; ties (deployments
// created in one entry) by ID so the order is stable.
func sortNewestFirst(ds []*structs.Deployment) {
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].CreateIndex != ds[j].CreateIndex {
			return ds[i].CreateIndex > ds[j].CreateIndex
		}
		return ds[i].ID < ds[j].ID
	})
}

// AllocsByDeployment returns the allocations placed or updated by a
// deployment.
func (s *StateStore) AllocsByDeployment(ws memdb.WatchSet, deploymentID string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, indexDeployment, deploymentID)
}

// DeleteDeployments removes deployments (garbage collection); unknown IDs
// are skipped.
func (s *StateStore) DeleteDeployments(index uint64, ids []string) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	for _, id := range ids {
		if _, err := txn.DeleteAll(TableDeployment, indexID, id); err != nil {
			return fmt.Errorf("state: delete deployment %q: %w", id, err)
		}
	}
	if err := setIndex(txn, index, TableDeployment); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// DeploymentRestore inserts a deployment during a snapshot restore.
func (r *StateRestore) DeploymentRestore(d *structs.Deployment) error {
	return r.insert(TableDeployment, d)
}

// UpdateDeploymentStatus applies a status change with, in the same
// transaction, the job and evaluation the request carries. A successful
// deployment marks its job version stable.
func (s *StateStore) UpdateDeploymentStatus(index uint64, req *structs.DeploymentStatusUpdateRequest) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := updateDeploymentStatusTxn(txn, index, req.DeploymentUpdate); err != nil {
		return err
	}
	if err := upsertJobAndEvalTxn(txn, index, req.Job, req.Eval, s.jobTrackedVersions()); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// upsertJobAndEvalTxn writes the optional job and evaluation of a
// deployment change; with a job, the evaluation is for the version
// written.
func upsertJobAndEvalTxn(txn *memdb.Txn, index uint64, job *structs.Job, eval *structs.Evaluation, keep int) error {
	var evals []*structs.Evaluation
	if eval != nil {
		evals = []*structs.Evaluation{eval}
	}
	if job != nil {
		return upsertJobWithEvalsTxn(txn, index, job, evals, keep)
	}
	return upsertEvalsTxn(txn, index, evals)
}

// updateDeploymentStatusTxn moves an active deployment to u's status.
func updateDeploymentStatusTxn(txn *memdb.Txn, index uint64, u *structs.DeploymentStatusUpdate) error {
	if u == nil {
		return nil
	}
	d, err := activeDeploymentTxn(txn, u.DeploymentID)
	if err != nil {
		return err
	}
	c := d.Copy()
	c.Status = u.Status
	c.StatusDescription = u.StatusDescription
	c.ModifyIndex = index
	if err := insertDeploymentTxn(txn, index, c); err != nil {
		return err
	}
	if c.Status != structs.DeploymentStatusSuccessful {
		return nil
	}
	err = updateJobStabilityTxn(txn, index, c.Namespace, c.JobID, c.JobVersion, true)
	if errors.Is(err, structs.ErrNotFound) {
		// The version was pruned, or the job purged: nothing to mark.
		return nil
	}
	return err
}

// activeDeploymentTxn returns the deployment, or an error naming why it
// cannot change: it does not exist (ErrNotFound) or has finished
// (ErrBadRequest).
func activeDeploymentTxn(txn *memdb.Txn, id string) (*structs.Deployment, error) {
	d, err := deploymentByIDTxn(txn, nil, id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("deployment %q: %w", id, structs.ErrNotFound)
	}
	if !d.Active() {
		return nil, fmt.Errorf("%w: deployment %q has terminal status %q", structs.ErrBadRequest, id, d.Status)
	}
	return d, nil
}

// healthDelta is how an allocation's change moves its group's counts.
type healthDelta struct{ placed, healthy, unhealthy int }

func (h healthDelta) zero() bool { return h == healthDelta{} }

// allocHealthDelta compares an allocation with its stored version: a new
// member of the deployment is a placement; health set for the first time
// counts once; a flip moves one count to the other, so the counts always
// equal the number of allocations in each state.
func allocHealthDelta(alloc, existing *structs.Allocation) healthDelta {
	if existing == nil || existing.DeploymentID != alloc.DeploymentID {
		return healthDelta{placed: 1}
	}
	was, is := existing.DeploymentStatus, alloc.DeploymentStatus
	switch {
	case !is.HasHealth():
		return healthDelta{}
	case !was.HasHealth() && is.IsHealthy():
		return healthDelta{healthy: 1}
	case !was.HasHealth():
		return healthDelta{unhealthy: 1}
	case was.IsHealthy() && is.IsUnhealthy():
		return healthDelta{healthy: -1, unhealthy: 1}
	case was.IsUnhealthy() && is.IsHealthy():
		return healthDelta{healthy: 1, unhealthy: -1}
	}
	return healthDelta{}
}

// updateDeploymentWithAllocTxn keeps the counts of alloc's deployment up to
// date as the allocation is written over existing (nil for a new one). It
// may set alloc.DeploymentStatus.ModifyIndex, so call it before inserting
// alloc.
func updateDeploymentWithAllocTxn(txn *memdb.Txn, index uint64, alloc, existing *structs.Allocation) error {
	if alloc.DeploymentID == "" {
		return nil
	}
	d, err := deploymentByIDTxn(txn, nil, alloc.DeploymentID)
	if err != nil || d == nil {
		return err
	}
	if _, ok := d.TaskGroups[alloc.TaskGroup]; !ok {
		// The group is not part of the rollout (it did not change).
		return nil
	}
	delta := allocHealthDelta(alloc, existing)
	newCanary := alloc.DeploymentStatus.IsCanary() &&
		!slices.Contains(d.TaskGroups[alloc.TaskGroup].PlacedCanaries, alloc.ID)
	if delta.zero() && !newCanary {
		return nil
	}
	if delta.healthy != 0 || delta.unhealthy != 0 {
		alloc.DeploymentStatus.ModifyIndex = index
	}
	c := d.Copy()
	c.ModifyIndex = index
	st := c.TaskGroups[alloc.TaskGroup]
	st.PlacedAllocs += delta.placed
	st.HealthyAllocs += delta.healthy
	st.UnhealthyAllocs += delta.unhealthy
	if newCanary {
		st.PlacedCanaries = append(st.PlacedCanaries, alloc.ID)
	}
	extendProgressDeadline(st, alloc, delta)
	return insertDeploymentTxn(txn, index, c)
}

// extendProgressDeadline starts the group's progress clock with its first
// placement and pushes it out each time an allocation turns healthy. The
// times come from the entry (the allocation's own timestamps), never from
// the applying server's clock, so every server computes the same deadline.
func extendProgressDeadline(st *structs.DeploymentState, alloc *structs.Allocation, delta healthDelta) {
	pd := st.ProgressDeadline
	if pd <= 0 {
		return
	}
	switch {
	case delta.placed > 0 && st.RequireProgressBy.IsZero():
		at := alloc.ModifyTime
		if at == 0 {
			at = alloc.CreateTime
		}
		if at != 0 {
			st.RequireProgressBy = unixNano(at).Add(pd)
		}
	case delta.healthy > 0:
		if by := alloc.DeploymentStatus.Timestamp.Add(pd); by.After(st.RequireProgressBy) {
			st.RequireProgressBy = by
		}
	}
}

// mergeClientHealth takes from a client's report only what a client owns:
// Healthy and its Timestamp. Canary is the server's. A report without
// health, or with the health already stored, changes nothing; a change is
// stamped with index.
func mergeClientHealth(index uint64, stored, reported *structs.AllocDeploymentStatus) *structs.AllocDeploymentStatus {
	if !reported.HasHealth() {
		return stored.Copy()
	}
	if stored.HasHealth() && *stored.Healthy == *reported.Healthy {
		return stored.Copy()
	}
	merged := stored.Copy()
	if merged == nil {
		merged = &structs.AllocDeploymentStatus{}
	}
	healthy := *reported.Healthy
	merged.Healthy = &healthy
	merged.Timestamp = reported.Timestamp
	merged.ModifyIndex = index
	return merged
}

// keepClientHealth gives a planned update of an allocation the health its
// client reported after the plan's snapshot was taken, as long as the
// plan keeps the allocation in the same deployment: the scheduler never
// sets health, so its copy can only be older.
func keepClientHealth(planned, existing *structs.Allocation) {
	if existing == nil || existing.DeploymentID != planned.DeploymentID || !existing.DeploymentStatus.HasHealth() {
		return
	}
	merged := planned.DeploymentStatus.Copy()
	if merged == nil {
		merged = &structs.AllocDeploymentStatus{}
	}
	merged.Healthy = existing.DeploymentStatus.Copy().Healthy
	merged.Timestamp = existing.DeploymentStatus.Timestamp
	merged.ModifyIndex = existing.DeploymentStatus.ModifyIndex
	planned.DeploymentStatus = merged
}

// groupNames lists a deployment's groups, sorted, for error messages.
func groupNames(d *structs.Deployment) string {
	names := make([]string, 0, len(d.TaskGroups))
	for name := range d.TaskGroups {
		names = append(names, fmt.Sprintf("%q", name))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// upsertPlanDeploymentsTxn writes a plan's deployment, then its status
// updates of other deployments, ahead of the plan's allocations so their
// placements count toward the deployment.
func upsertPlanDeploymentsTxn(txn *memdb.Txn, index uint64, req *structs.ApplyPlanResultsRequest) error {
	if req.Deployment != nil {
		stored, err := deploymentByIDTxn(txn, nil, req.Deployment.ID)
		if err != nil {
			return err
		}
		if err := upsertDeploymentTxn(txn, index, mergePlannedDeployment(stored, req.Deployment)); err != nil {
			return err
		}
	}
	for _, u := range req.DeploymentUpdates {
		if err := updateDeploymentStatusTxn(txn, index, u); err != nil {
			return err
		}
	}
	return nil
}

// mergePlannedDeployment combines a plan's version of a deployment with
// the stored one. The plan was made from a snapshot that may be older than
// the store, so what the store maintains as allocations and operators
// report (status, promotion, placed/healthy/unhealthy counts, placed
// canaries, the progress deadline) is kept from stored; the plan brings
// what the scheduler decides: the groups and what each wants.
func mergePlannedDeployment(stored, planned *structs.Deployment) *structs.Deployment {
	if stored == nil {
		return planned
	}
	out := planned.Copy()
	out.Status, out.StatusDescription = stored.Status, stored.StatusDescription
	for name, st := range out.TaskGroups {
		old, ok := stored.TaskGroups[name]
		if !ok {
			continue
		}
		st.Promoted = st.Promoted || old.Promoted
		st.PlacedAllocs, st.HealthyAllocs, st.UnhealthyAllocs = old.PlacedAllocs, old.HealthyAllocs, old.UnhealthyAllocs
		if !old.RequireProgressBy.IsZero() {
			st.RequireProgressBy = old.RequireProgressBy
		}
		for _, id := range old.PlacedCanaries {
			if !slices.Contains(st.PlacedCanaries, id) {
				st.PlacedCanaries = append(st.PlacedCanaries, id)
			}
		}
	}
	return out
}
