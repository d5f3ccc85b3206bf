package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// UpsertEvals inserts or updates evaluations at index. An evaluation that
// reports queued allocations sets its job summary's Queued counts.
func (s *StateStore) UpsertEvals(index uint64, evals []*structs.Evaluation) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := upsertEvalsTxn(txn, index, evals); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func upsertEvalsTxn(txn *memdb.Txn, index uint64, evals []*structs.Evaluation) error {
	if len(evals) == 0 {
		return nil
	}
	jobs := make(map[jobKey]struct{}, 1)
	for _, in := range evals {
		if in == nil || in.ID == "" {
			return fmt.Errorf("state: upsert eval: %w: evaluation and its ID are required", structs.ErrBadRequest)
		}
		existing, err := evalByIDTxn(txn, nil, in.ID)
		if err != nil {
			return err
		}
		eval := in.Copy()
		eval.ModifyIndex = index
		if existing != nil {
			eval.CreateIndex = existing.CreateIndex
		} else {
			eval.CreateIndex = index
		}
		if err := txn.Insert(TableEvals, eval); err != nil {
			return fmt.Errorf("state: insert eval %q: %w", eval.ID, err)
		}
		if err := setQueuedFromEval(txn, index, eval); err != nil {
			return err
		}
		jobs[jobKey{eval.Namespace, eval.JobID}] = struct{}{}
	}
	if err := setIndex(txn, index, TableEvals); err != nil {
		return err
	}
	return setJobStatuses(txn, index, jobs, false)
}

// setQueuedFromEval records how many allocations the evaluation could not
// place yet, per group.
func setQueuedFromEval(txn *memdb.Txn, index uint64, eval *structs.Evaluation) error {
	if len(eval.QueuedAllocations) == 0 {
		return nil
	}
	existing, err := summaryTxn(txn, nil, eval.Namespace, eval.JobID)
	if err != nil || existing == nil {
		return err
	}
	js := existing.Copy()
	changed := false
	for tg, n := range eval.QueuedAllocations {
		row, ok := js.Summary[tg]
		if !ok || row.Queued == n {
			continue
		}
		row.Queued = n
		js.Summary[tg] = row
		changed = true
	}
	if !changed {
		return nil
	}
	js.ModifyIndex = index
	if err := txn.Insert(TableJobSummary, js); err != nil {
		return fmt.Errorf("state: update summary of job %q: %w", eval.JobID, err)
	}
	return setIndex(txn, index, TableJobSummary)
}

// DeleteEvals removes evaluations (garbage collection). Unknown IDs are
// skipped: a repeated delete is harmless.
func (s *StateStore) DeleteEvals(index uint64, evalIDs []string) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	jobs := make(map[jobKey]struct{})
	for _, id := range evalIDs {
		existing, err := evalByIDTxn(txn, nil, id)
		if err != nil {
			return err
		}
		if existing == nil {
			continue
		}
		if err := txn.Delete(TableEvals, existing); err != nil {
			return fmt.Errorf("state: delete eval %q: %w", id, err)
		}
		jobs[jobKey{existing.Namespace, existing.JobID}] = struct{}{}
	}
	if err := setIndex(txn, index, TableEvals); err != nil {
		return err
	}
	if err := setJobStatuses(txn, index, jobs, true); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// EvalByID returns the evaluation, or nil if there is none.
func (s *StateStore) EvalByID(ws memdb.WatchSet, id string) (*structs.Evaluation, error) {
	return evalByIDTxn(s.db.Txn(false), ws, id)
}

func evalByIDTxn(txn *memdb.Txn, ws memdb.WatchSet, id string) (*structs.Evaluation, error) {
	watch, raw, err := txn.FirstWatch(TableEvals, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: eval lookup %q: %w", id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Evaluation), nil
}

// Evals returns the evaluations of namespace (AllNamespaces for all) whose
// ID starts with prefix, sorted by ID.
func (s *StateStore) Evals(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Evaluation, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableEvals, indexID+"_prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("state: list evals: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Evaluation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		e := raw.(*structs.Evaluation)
		if namespace == AllNamespaces || e.Namespace == namespace {
			out = append(out, e)
		}
	}
	return out, nil
}

// EvalsByJob returns every evaluation of the job.
func (s *StateStore) EvalsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Evaluation, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableEvals, indexJob, namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("state: evals of job %q: %w", jobID, err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Evaluation
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Evaluation))
	}
	return out, nil
}
