package state

import (
	"fmt"
	"slices"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// UpsertPlanResults commits what the plan applier accepted: new and updated
// allocations (each given req.Job, carried once in the entry), stops and
// evictions (preemptions) of existing allocations, and the evaluations the
// plan updated or its preemptions call for, in one transaction.
func (s *StateStore) UpsertPlanResults(index uint64, req *structs.ApplyPlanResultsRequest) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := upsertPlanDeploymentsTxn(txn, index, req); err != nil {
		return err
	}
	jobs := make(map[jobKey]struct{}, 1)
	for _, stop := range req.AllocsStopped {
		if err := stopAllocTxn(txn, index, stop, jobs); err != nil {
			return err
		}
	}
	for _, evicted := range req.NodePreemptions {
		if err := stopAllocTxn(txn, index, evicted, jobs); err != nil {
			return err
		}
	}
	for _, in := range req.AllocsUpdated {
		if err := upsertPlannedAllocTxn(txn, index, in, req.Job, jobs); err != nil {
			return err
		}
	}
	if len(req.AllocsStopped)+len(req.AllocsUpdated)+len(req.NodePreemptions) > 0 {
		if err := setIndex(txn, index, TableAllocs); err != nil {
			return err
		}
	}
	if err := upsertEvalsTxn(txn, index, req.UpdatedEvals); err != nil {
		return err
	}
	if err := upsertEvalsTxn(txn, index, req.PreemptionEvals); err != nil {
		return err
	}
	if err := setJobStatuses(txn, index, jobs, false); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// stopAllocTxn applies the server side of a stop to the stored allocation;
// the allocation keeps its job so the client still knows what it ran.
func stopAllocTxn(txn *memdb.Txn, index uint64, stop *structs.Allocation, jobs map[jobKey]struct{}) error {
	existing, err := allocByIDTxn(txn, nil, stop.ID)
	if err != nil {
		return err
	}
	if existing == nil {
		// The allocation was garbage collected since the plan was made:
		// there is nothing left to stop.
		return nil
	}
	alloc := existing.CopySkipJob()
	alloc.DesiredStatus = stop.DesiredStatus
	alloc.DesiredDescription = stop.DesiredDescription
	if stop.ClientStatus != "" && stop.ClientStatus != existing.ClientStatus {
		// The scheduler marks allocations on down nodes lost itself.
		alloc.ClientStatus = stop.ClientStatus
	}
	if stop.FollowupEvalID != "" {
		alloc.FollowupEvalID = stop.FollowupEvalID
	}
	if stop.PreemptedByAllocation != "" {
		alloc.PreemptedByAllocation = stop.PreemptedByAllocation
	}
	if stop.NextAllocation != "" {
		// The replacement placed in the same plan, for alloc status.
		alloc.NextAllocation = stop.NextAllocation
	}
	if stop.ModifyTime != 0 {
		alloc.ModifyTime = stop.ModifyTime
	}
	alloc.ModifyIndex = index
	alloc.AllocModifyIndex = index
	return insertAllocTxn(txn, index, alloc, existing, jobs)
}

// upsertPlannedAllocTxn stores a new or updated allocation from a plan. The
// client-owned fields of an existing allocation are kept: the plan was made
// from a snapshot that may predate the client's latest report.
func upsertPlannedAllocTxn(txn *memdb.Txn, index uint64, in *structs.Allocation, job *structs.Job, jobs map[jobKey]struct{}) error {
	if in == nil || in.ID == "" {
		return fmt.Errorf("state: upsert alloc: %w: allocation and its ID are required", structs.ErrBadRequest)
	}
	existing, err := allocByIDTxn(txn, nil, in.ID)
	if err != nil {
		return err
	}
	alloc := in.CopySkipJob()
	switch {
	case job != nil:
		alloc.Job = job
	case existing != nil:
		alloc.Job = existing.Job
	}
	if alloc.Job == nil {
		return fmt.Errorf("state: upsert alloc %q: %w: no job in the plan or the existing allocation", in.ID, structs.ErrBadRequest)
	}
	if existing == nil {
		alloc.CreateIndex = index
		if alloc.ClientStatus == "" {
			alloc.ClientStatus = structs.AllocClientStatusPending
		}
	} else {
		alloc.CreateIndex = existing.CreateIndex
		alloc.CreateTime = existing.CreateTime
		alloc.ClientStatus = existing.ClientStatus
		alloc.ClientDescription = existing.ClientDescription
		alloc.TaskStates = existing.TaskStates
		keepClientHealth(alloc, existing)
		// Desired transitions have entries of their own (job stop, the
		// deployment watcher); a plan's older copy must not undo them.
		alloc.DesiredTransition = existing.DesiredTransition.Copy()
	}
	alloc.ModifyIndex = index
	alloc.AllocModifyIndex = index
	if err := updateDeploymentWithAllocTxn(txn, index, alloc, existing); err != nil {
		return err
	}
	return insertAllocTxn(txn, index, alloc, existing, jobs)
}

// UpdateAllocsFromClient records what clients report about their
// allocations: client status, description, task states and deployment
// health only; health changes are counted in the deployment. It leaves
// AllocModifyIndex alone, so clients do not refetch their own updates.
// Allocations that no longer exist are skipped.
func (s *StateStore) UpdateAllocsFromClient(index uint64, allocs []*structs.Allocation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := updateAllocsFromClientTxn(txn, index, allocs); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func updateAllocsFromClientTxn(txn *memdb.Txn, index uint64, allocs []*structs.Allocation) error {
	jobs := make(map[jobKey]struct{}, 1)
	for _, in := range allocs {
		existing, err := allocByIDTxn(txn, nil, in.ID)
		if err != nil {
			return err
		}
		if existing == nil {
			continue
		}
		alloc := existing.CopySkipJob()
		alloc.ClientStatus = in.ClientStatus
		alloc.ClientDescription = in.ClientDescription
		alloc.TaskStates = nil
		if in.TaskStates != nil {
			alloc.TaskStates = make(map[string]*structs.TaskState, len(in.TaskStates))
			for name, ts := range in.TaskStates {
				alloc.TaskStates[name] = ts.Copy()
			}
		}
		if in.ModifyTime != 0 {
			alloc.ModifyTime = in.ModifyTime
		}
		alloc.DeploymentStatus = mergeClientHealth(index, existing.DeploymentStatus, in.DeploymentStatus)
		alloc.ModifyIndex = index
		if err := updateDeploymentWithAllocTxn(txn, index, alloc, existing); err != nil {
			return err
		}
		if err := insertAllocTxn(txn, index, alloc, existing, jobs); err != nil {
			return err
		}
	}
	if err := setIndex(txn, index, TableAllocs); err != nil {
		return err
	}
	return setJobStatuses(txn, index, jobs, false)
}

func insertAllocTxn(txn *memdb.Txn, index uint64, alloc, existing *structs.Allocation, jobs map[jobKey]struct{}) error {
	if err := txn.Insert(TableAllocs, alloc); err != nil {
		return fmt.Errorf("state: insert alloc %q: %w", alloc.ID, err)
	}
	if err := updateSummaryWithAlloc(txn, index, alloc, existing); err != nil {
		return err
	}
	jobs[jobKey{alloc.Namespace, alloc.JobID}] = struct{}{}
	return nil
}

// updateSummaryWithAlloc moves the allocation's count from the bin of its
// old client status to that of its new one; a new allocation also leaves
// the queue.
func updateSummaryWithAlloc(txn *memdb.Txn, index uint64, alloc, existing *structs.Allocation) error {
	if existing != nil && existing.ClientStatus == alloc.ClientStatus {
		return nil
	}
	stored, err := summaryTxn(txn, nil, alloc.Namespace, alloc.JobID)
	if err != nil || stored == nil {
		// No summary: the job was purged, and its leftovers are not
		// counted.
		return err
	}
	js := stored.Copy()
	row := js.Summary[alloc.TaskGroup]
	if existing == nil {
		if row.Queued > 0 {
			row.Queued--
		}
	} else {
		countClientStatus(&row, existing.ClientStatus, -1)
	}
	countClientStatus(&row, alloc.ClientStatus, +1)
	js.Summary[alloc.TaskGroup] = row
	js.ModifyIndex = index
	if err := txn.Insert(TableJobSummary, js); err != nil {
		return fmt.Errorf("state: update summary of job %q: %w", alloc.JobID, err)
	}
	return setIndex(txn, index, TableJobSummary)
}

func countClientStatus(row *structs.TaskGroupSummary, status string, delta int) {
	var bin *int
	switch status {
	case structs.AllocClientStatusPending, "":
		bin = &row.Starting
	case structs.AllocClientStatusRunning:
		bin = &row.Running
	case structs.AllocClientStatusComplete:
		bin = &row.Complete
	case structs.AllocClientStatusFailed:
		bin = &row.Failed
	case structs.AllocClientStatusLost:
		bin = &row.Lost
	case structs.AllocClientStatusUnknown:
		bin = &row.Unknown
	default:
		return
	}
	if *bin+delta >= 0 {
		*bin += delta
	}
}

// AllocByID returns the allocation, or nil if there is none.
func (s *StateStore) AllocByID(ws memdb.WatchSet, id string) (*structs.Allocation, error) {
	return allocByIDTxn(s.db.Txn(false), ws, id)
}

func allocByIDTxn(txn *memdb.Txn, ws memdb.WatchSet, id string) (*structs.Allocation, error) {
	watch, raw, err := txn.FirstWatch(TableAllocs, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: alloc lookup %q: %w", id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Allocation), nil
}

// Allocs returns the allocations of namespace (AllNamespaces for all) whose
// ID starts with prefix, sorted by ID.
func (s *StateStore) Allocs(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Allocation, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableAllocs, indexID+"_prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("state: list allocs: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Allocation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		a := raw.(*structs.Allocation)
		if namespace == AllNamespaces || a.Namespace == namespace {
			out = append(out, a)
		}
	}
	return out, nil
}

// AllocsByNode returns every allocation on the node, terminal ones included.
func (s *StateStore) AllocsByNode(ws memdb.WatchSet, nodeID string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, indexNode, nodeID)
}

// AllocsByJob returns every allocation of the job, terminal ones included.
func (s *StateStore) AllocsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, indexJob, namespace, jobID)
}

// AllocsByEval returns the allocations the evaluation placed.
func (s *StateStore) AllocsByEval(ws memdb.WatchSet, evalID string) ([]*structs.Allocation, error) {
	return s.allocsBy(ws, indexEval, evalID)
}

func (s *StateStore) allocsBy(ws memdb.WatchSet, index string, args ...interface{}) ([]*structs.Allocation, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableAllocs, index, args...)
	if err != nil {
		return nil, fmt.Errorf("state: allocs by %s %v: %w", index, args, err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Allocation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Allocation))
	}
	return out, nil
}

// UpdateAllocsWithEvals records client updates and the evaluations they
// call for (rescheduling failed allocations) in one transaction.
func (s *StateStore) UpdateAllocsWithEvals(index uint64, allocs []*structs.Allocation, evals []*structs.Evaluation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := updateAllocsFromClientTxn(txn, index, allocs); err != nil {
		return err
	}
	if err := upsertEvalsTxn(txn, index, evals); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// UpdateAllocsDesiredTransitions merges transitions into allocations, by
// ID, and upserts the evaluations that act on them, in one transaction.
// Allocations gone from the store or already stopped by the servers are
// skipped: the watcher decided on a snapshot the scheduler may have
// overtaken. Marked allocations get a new AllocModifyIndex so clients
// fetch them again.
func (s *StateStore) UpdateAllocsDesiredTransitions(index uint64, transitions map[string]*structs.DesiredTransition, evals []*structs.Evaluation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	ids := make([]string, 0, len(transitions))
	for id := range transitions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		existing, err := allocByIDTxn(txn, nil, id)
		if err != nil {
			return err
		}
		if existing == nil || existing.ServerTerminalStatus() {
			continue
		}
		if err := mergeDesiredTransitionTxn(txn, index, existing, transitions[id]); err != nil {
			return err
		}
	}
	if err := setIndex(txn, index, TableAllocs); err != nil {
		return err
	}
	if err := upsertEvalsTxn(txn, index, evals); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// mergeDesiredTransitionTxn stores a copy of existing with transition
// merged into its desired transition and a new AllocModifyIndex, so its
// client fetches it again.
func mergeDesiredTransitionTxn(txn *memdb.Txn, index uint64, existing *structs.Allocation, transition *structs.DesiredTransition) error {
	alloc := existing.CopySkipJob()
	alloc.Job = existing.Job
	alloc.DesiredTransition.Merge(transition)
	alloc.ModifyIndex = index
	alloc.AllocModifyIndex = index
	if err := txn.Insert(TableAllocs, alloc); err != nil {
		return fmt.Errorf("state: update desired transition of alloc %q: %w", alloc.ID, err)
	}
	return nil
}
