package state

import (
	"fmt"
	"sort"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// TableScalingEvent holds each job's recent scaling events by group, as
// Nomad's scaling_event table.
const TableScalingEvent = "scaling_event"

// indexScaling indexes the jobs with at least one scaling block, which
// the scaling policy endpoints and the autoscaler read instead of every
// job.
const indexScaling = "scaling"

func scalingEventTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableScalingEvent,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: nsIDIndex(indexID, "Namespace", "JobID", false),
		},
	}
}

func scalingJobsIndex() *memdb.IndexSchema {
	return &memdb.IndexSchema{
		Name: indexScaling,
		Indexer: &memdb.ConditionalIndex{Conditional: func(obj interface{}) (bool, error) {
			j, ok := obj.(*structs.Job)
			if !ok {
				return false, fmt.Errorf("state: scaling index of %T", obj)
			}
			for _, tg := range j.TaskGroups {
				if tg.Scaling != nil {
					return true, nil
				}
			}
			return false, nil
		}},
	}
}

// ScalingJobs returns the jobs with a scaling block, in every namespace.
func (s *StateStore) ScalingJobs(ws memdb.WatchSet) ([]*structs.Job, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableJobs, indexScaling, true)
	if err != nil {
		return nil, fmt.Errorf("state: list scaled jobs: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Job))
	}
	return out, nil
}

// ScalingPolicies returns the policies of every scaled job, sorted by ID.
func (s *StateStore) ScalingPolicies(ws memdb.WatchSet) ([]*structs.ScalingPolicy, error) {
	jobs, err := s.ScalingJobs(ws)
	if err != nil {
		return nil, err
	}
	var out []*structs.ScalingPolicy
	for _, j := range jobs {
		out = append(out, j.ScalingPolicies()...)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].ID < out[k].ID })
	return out, nil
}

// ScalingEventsByJob returns the job's events, or nil if it has none.
func (s *StateStore) ScalingEventsByJob(ws memdb.WatchSet, namespace, jobID string) (*structs.JobScalingEvents, error) {
	return scalingEventsTxn(s.db.Txn(false), ws, namespace, jobID)
}

func scalingEventsTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, jobID string) (*structs.JobScalingEvents, error) {
	watch, raw, err := txn.FirstWatch(TableScalingEvent, indexID, namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("state: scaling events of job %q: %w", jobID, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.JobScalingEvents), nil
}

// AllScalingEvents returns every job's events, for snapshots.
func (s *StateStore) AllScalingEvents(ws memdb.WatchSet) ([]*structs.JobScalingEvents, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableScalingEvent, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list scaling events: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.JobScalingEvents
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.JobScalingEvents))
	}
	return out, nil
}

// ScalingEventRestore restores a row from a snapshot.
func (r *StateRestore) ScalingEventRestore(e *structs.JobScalingEvents) error {
	return r.insert(TableScalingEvent, e)
}

// ApplyJobScale writes what one scaling entry carries in one transaction:
// the new job version and its evaluation when the count changed, and the
// event. Keeping them together is what lets a new leader trust the events
// as the record of every action taken.
func (s *StateStore) ApplyJobScale(index uint64, req *structs.JobScaleApply) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if req.Job != nil {
		if err := upsertJobTxn(txn, index, req.Job, s.jobTrackedVersions()); err != nil {
			return err
		}
		stored, err := jobByIDTxn(txn, nil, req.Job.Namespace, req.Job.ID)
		if err != nil {
			return err
		}
		if req.Eval != nil {
			e := req.Eval.Copy()
			e.JobModifyIndex = stored.JobModifyIndex
			if err := upsertEvalsTxn(txn, index, []*structs.Evaluation{e}); err != nil {
				return err
			}
		}
	}
	if req.Event != nil {
		if err := addScalingEventTxn(txn, index, req.Namespace, req.JobID, req.Group, req.Event); err != nil {
			return err
		}
	}
	txn.Commit()
	return nil
}

func addScalingEventTxn(txn *memdb.Txn, index uint64, namespace, jobID, group string, ev *structs.ScalingEvent) error {
	existing, err := scalingEventsTxn(txn, nil, namespace, jobID)
	if err != nil {
		return err
	}
	row := &structs.JobScalingEvents{Namespace: namespace, JobID: jobID, ScalingEvents: map[string][]*structs.ScalingEvent{}}
	if existing != nil {
		for g, evs := range existing.ScalingEvents {
			row.ScalingEvents[g] = evs
		}
	}
	e := *ev
	e.CreateIndex = index
	evs := append([]*structs.ScalingEvent{&e}, row.ScalingEvents[group]...)
	if len(evs) > structs.MaxScalingEventsPerGroup {
		evs = evs[:structs.MaxScalingEventsPerGroup]
	}
	row.ScalingEvents[group] = evs
	row.ModifyIndex = index
	if err := txn.Insert(TableScalingEvent, row); err != nil {
		return fmt.Errorf("state: record scaling event of job %q: %w", jobID, err)
	}
	return setIndex(txn, index, TableScalingEvent)
}

func deleteScalingEventsTxn(txn *memdb.Txn, index uint64, namespace, jobID string) error {
	n, err := txn.DeleteAll(TableScalingEvent, indexID, namespace, jobID)
	if err != nil {
		return fmt.Errorf("state: delete scaling events of job %q: %w", jobID, err)
	}
	if n == 0 {
		return nil
	}
	return setIndex(txn, index, TableScalingEvent)
}
