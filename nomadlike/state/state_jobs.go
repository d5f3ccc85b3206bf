package state

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// UpsertJob inserts or updates a job at index. The stored copy gets its
// indexes as Nomad keeps them: CreateIndex stays, ModifyIndex moves on
// every write, and JobModifyIndex and Version move only when the spec
// changes. Status is derived from the job's allocations and evaluations.
func (s *StateStore) UpsertJob(index uint64, job *structs.Job) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := upsertJobTxn(txn, index, job, s.jobTrackedVersions()); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func upsertJobTxn(txn *memdb.Txn, index uint64, in *structs.Job, keep int) error {
	if in == nil || in.ID == "" || in.Namespace == "" {
		return fmt.Errorf("state: upsert job: %w: job, its ID and namespace are required", structs.ErrBadRequest)
	}
	existing, err := jobByIDTxn(txn, nil, in.Namespace, in.ID)
	if err != nil {
		return err
	}
	job := in.Copy()
	job.ModifyIndex = index
	if existing == nil {
		job.CreateIndex = index
		job.JobModifyIndex = index
		job.Version = 0
	} else {
		job.CreateIndex = existing.CreateIndex
		job.Version = existing.Version
		job.JobModifyIndex = existing.JobModifyIndex
		job.Stable = existing.Stable
		if existing.SpecChanged(in) {
			job.Version = existing.Version + 1
			job.JobModifyIndex = index
			job.Stable = false
		}
	}
	status, err := jobStatusTxn(txn, job, false)
	if err != nil {
		return err
	}
	job.Status = status
	if err := txn.Insert(TableJobs, job); err != nil {
		return fmt.Errorf("state: insert job %q: %w", job.ID, err)
	}
	if err := upsertSummaryForJob(txn, index, job); err != nil {
		return err
	}
	if err := upsertJobVersionTxn(txn, index, job, keep); err != nil {
		return err
	}
	if err := recordPeriodicLaunchTxn(txn, index, job); err != nil {
		return err
	}
	return setIndex(txn, index, TableJobs)
}

// DeleteJob removes a job and its summary (a purge). Its allocations and
// evaluations stay until garbage collection.
func (s *StateStore) DeleteJob(index uint64, namespace, id string) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := deleteJobTxn(txn, index, namespace, id); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func deleteJobTxn(txn *memdb.Txn, index uint64, namespace, id string) error {
	existing, err := jobByIDTxn(txn, nil, namespace, id)
	if err != nil {
		return err
	}
	if existing == nil {
		return fmt.Errorf("state: delete job %q in namespace %q: %w", id, namespace, structs.ErrNotFound)
	}
	if err := txn.Delete(TableJobs, existing); err != nil {
		return fmt.Errorf("state: delete job %q: %w", id, err)
	}
	if _, err := txn.DeleteAll(TableJobSummary, indexID, namespace, id); err != nil {
		return fmt.Errorf("state: delete summary of job %q: %w", id, err)
	}
	if err := deleteJobVersionsTxn(txn, index, namespace, id); err != nil {
		return err
	}
	if err := deletePeriodicLaunchTxn(txn, index, namespace, id); err != nil {
		return err
	}
	if err := deleteScalingEventsTxn(txn, index, namespace, id); err != nil {
		return err
	}
	return setIndex(txn, index, TableJobs, TableJobSummary)
}

// JobByID returns the job, or nil if there is none.
func (s *StateStore) JobByID(ws memdb.WatchSet, namespace, id string) (*structs.Job, error) {
	return jobByIDTxn(s.db.Txn(false), ws, namespace, id)
}

func jobByIDTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, id string) (*structs.Job, error) {
	watch, raw, err := txn.FirstWatch(TableJobs, indexID, namespace, id)
	if err != nil {
		return nil, fmt.Errorf("state: job lookup %q: %w", id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Job), nil
}

// Jobs returns the jobs of namespace (AllNamespaces for all) whose ID
// starts with prefix, sorted by namespace and ID.
func (s *StateStore) Jobs(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Job, error) {
	txn := s.db.Txn(false)
	var iter memdb.ResultIterator
	var err error
	if namespace == AllNamespaces {
		iter, err = txn.Get(TableJobs, indexID)
	} else {
		iter, err = txn.Get(TableJobs, indexID+"_prefix", namespace, prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("state: list jobs: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		j := raw.(*structs.Job)
		if strings.HasPrefix(j.ID, prefix) {
			out = append(out, j)
		}
	}
	return out, nil
}

// JobsByType returns every job of a type ("service", "batch", ...).
func (s *StateStore) JobsByType(ws memdb.WatchSet, jobType string) ([]*structs.Job, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableJobs, indexType, jobType)
	if err != nil {
		return nil, fmt.Errorf("state: list jobs of type %q: %w", jobType, err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Job))
	}
	return out, nil
}

// JobSummaryByID returns the job's summary, or nil if there is none.
func (s *StateStore) JobSummaryByID(ws memdb.WatchSet, namespace, jobID string) (*structs.JobSummary, error) {
	return summaryTxn(s.db.Txn(false), ws, namespace, jobID)
}

// JobSummaries returns every job summary.
func (s *StateStore) JobSummaries(ws memdb.WatchSet) ([]*structs.JobSummary, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableJobSummary, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list job summaries: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.JobSummary
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.JobSummary))
	}
	return out, nil
}

func summaryTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, jobID string) (*structs.JobSummary, error) {
	watch, raw, err := txn.FirstWatch(TableJobSummary, indexID, namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("state: summary lookup of job %q: %w", jobID, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.JobSummary), nil
}

// upsertSummaryForJob makes sure the job has a summary with a row per task
// group; counts of groups that already exist are kept.
func upsertSummaryForJob(txn *memdb.Txn, index uint64, job *structs.Job) error {
	existing, err := summaryTxn(txn, nil, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	var js *structs.JobSummary
	if existing == nil {
		js = &structs.JobSummary{
			JobID: job.ID, Namespace: job.Namespace,
			Summary:     make(map[string]structs.TaskGroupSummary, len(job.TaskGroups)),
			CreateIndex: index,
		}
	} else {
		missing := false
		for _, tg := range job.TaskGroups {
			if _, ok := existing.Summary[tg.Name]; !ok {
				missing = true
			}
		}
		if !missing {
			return nil
		}
		js = existing.Copy()
	}
	for _, tg := range job.TaskGroups {
		if _, ok := js.Summary[tg.Name]; !ok {
			js.Summary[tg.Name] = structs.TaskGroupSummary{}
		}
	}
	js.ModifyIndex = index
	if err := txn.Insert(TableJobSummary, js); err != nil {
		return fmt.Errorf("state: insert summary of job %q: %w", job.ID, err)
	}
	return setIndex(txn, index, TableJobSummary)
}

// jobKey names a job across namespaces.
type jobKey struct{ namespace, id string }

// setJobStatuses re-derives the status of each job touched by a write and
// stores the jobs whose status changed.
func setJobStatuses(txn *memdb.Txn, index uint64, jobs map[jobKey]struct{}, evalDelete bool) error {
	for k := range jobs {
		job, err := jobByIDTxn(txn, nil, k.namespace, k.id)
		if err != nil {
			return err
		}
		if job == nil {
			continue
		}
		status, err := jobStatusTxn(txn, job, evalDelete)
		if err != nil {
			return err
		}
		if status == job.Status {
			continue
		}
		updated := job.Copy()
		updated.Status = status
		updated.ModifyIndex = index
		if err := txn.Insert(TableJobs, updated); err != nil {
			return fmt.Errorf("state: update status of job %q: %w", k.id, err)
		}
		if err := setIndex(txn, index, TableJobs); err != nil {
			return err
		}
	}
	return nil
}

// jobStatusTxn derives a job's status as Nomad does: running while any
// allocation is not terminal, pending while any evaluation is not, and dead
// once it has had work and all of it is done. The scans stop at the first
// live allocation or evaluation, so a running job costs one lookup.
func jobStatusTxn(txn *memdb.Txn, job *structs.Job, evalDelete bool) (string, error) {
	// A periodic or parameterized parent is never scheduled itself: as
	// in Nomad it runs, launching children, until stopped.
	if job.Type == structs.JobTypeSystem || job.IsPeriodic() || job.IsParameterized() {
		if job.Stop {
			return structs.JobStatusDead, nil
		}
		return structs.JobStatusRunning, nil
	}
	allocs, err := txn.Get(TableAllocs, indexJob, job.Namespace, job.ID)
	if err != nil {
		return "", fmt.Errorf("state: allocations of job %q: %w", job.ID, err)
	}
	hasAlloc := false
	for raw := allocs.Next(); raw != nil; raw = allocs.Next() {
		a := raw.(*structs.Allocation)
		// An allocation left over from a purged job of the same ID says
		// nothing about this one.
		if a.Job != nil && a.Job.CreateIndex != job.CreateIndex {
			continue
		}
		hasAlloc = true
		if !a.TerminalStatus() {
			return structs.JobStatusRunning, nil
		}
	}
	evals, err := txn.Get(TableEvals, indexJob, job.Namespace, job.ID)
	if err != nil {
		return "", fmt.Errorf("state: evaluations of job %q: %w", job.ID, err)
	}
	hasEval := false
	for raw := evals.Next(); raw != nil; raw = evals.Next() {
		e := raw.(*structs.Evaluation)
		if e.CreateIndex < job.CreateIndex {
			continue
		}
		if !e.TerminalStatus() {
			return structs.JobStatusPending, nil
		}
		hasEval = true
	}
	if evalDelete || hasEval || hasAlloc {
		return structs.JobStatusDead, nil
	}
	return structs.JobStatusPending, nil
}

// UpsertJobWithEvals registers a job and its evaluations in one
// transaction: the Raft entry of a job registration.
func (s *StateStore) UpsertJobWithEvals(index uint64, job *structs.Job, evals []*structs.Evaluation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := upsertJobWithEvalsTxn(txn, index, job, evals, s.jobTrackedVersions()); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func upsertJobWithEvalsTxn(txn *memdb.Txn, index uint64, job *structs.Job, evals []*structs.Evaluation, keep int) error {
	if err := upsertJobTxn(txn, index, job, keep); err != nil {
		return err
	}
	stored, err := jobByIDTxn(txn, nil, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	// The evaluation is for the version just written, whose
	// JobModifyIndex the caller could not know before the entry applied.
	withIndex := make([]*structs.Evaluation, len(evals))
	for i, e := range evals {
		withIndex[i] = e.Copy()
		if e.Namespace == stored.Namespace && e.JobID == stored.ID {
			withIndex[i].JobModifyIndex = stored.JobModifyIndex
		}
	}
	return upsertEvalsTxn(txn, index, withIndex)
}

// DeregisterJob stops a job (a new version with Stop set) or, with purge,
// deletes it, and writes its evaluations, in one transaction. With
// noShutdownDelay the job's allocations are also marked to skip their
// shutdown_delay, in the same transaction, so no client can see the stop
// without the mark.
func (s *StateStore) DeregisterJob(index uint64, namespace, id string, purge, noShutdownDelay bool, evals []*structs.Evaluation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if noShutdownDelay {
		if err := skipShutdownDelayTxn(txn, index, namespace, id); err != nil {
			return err
		}
	}
	if purge {
		if err := deleteJobTxn(txn, index, namespace, id); err != nil {
			return err
		}
	} else {
		existing, err := jobByIDTxn(txn, nil, namespace, id)
		if err != nil {
			return err
		}
		if existing == nil {
			return fmt.Errorf("state: stop job %q in namespace %q: %w", id, namespace, structs.ErrNotFound)
		}
		stopped := existing.Copy()
		stopped.Stop = true
		if err := upsertJobTxn(txn, index, stopped, s.jobTrackedVersions()); err != nil {
			return err
		}
	}
	if err := upsertEvalsTxn(txn, index, evals); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// skipShutdownDelayTxn sets NoShutdownDelay on the desired transition of
// the job's allocations the client has not finished, and moves their
// AllocModifyIndex so the clients fetch them again.
func skipShutdownDelayTxn(txn *memdb.Txn, index uint64, namespace, jobID string) error {
	iter, err := txn.Get(TableAllocs, indexJob, namespace, jobID)
	if err != nil {
		return fmt.Errorf("state: allocs of job %q in namespace %q: %w", jobID, namespace, err)
	}
	var marked []*structs.Allocation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		existing := raw.(*structs.Allocation)
		if !existing.ClientTerminalStatus() && !existing.DesiredTransition.ShouldIgnoreShutdownDelay() {
			marked = append(marked, existing)
		}
	}
	// Written after the scan: writing to the table being iterated would
	// disturb the iterator.
	skip := true
	for _, existing := range marked {
		if err := mergeDesiredTransitionTxn(txn, index, existing, &structs.DesiredTransition{NoShutdownDelay: &skip}); err != nil {
			return err
		}
	}
	if len(marked) == 0 {
		return nil
	}
	return setIndex(txn, index, TableAllocs)
}
