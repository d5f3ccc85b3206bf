package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// TablePeriodicLaunch holds the last launch of each periodic job, as
// Nomad's periodic_launch table.
const TablePeriodicLaunch = "periodic_launch"

// indexPeriodic indexes the jobs whose children the leader launches on a
// schedule, so its dispatcher watches those alone rather than every job.
const indexPeriodic = "periodic"

func periodicLaunchTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TablePeriodicLaunch,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: nsIDIndex(indexID, "Namespace", "ID", false),
		},
	}
}

func periodicJobsIndex() *memdb.IndexSchema {
	return &memdb.IndexSchema{
		Name: indexPeriodic,
		Indexer: &memdb.ConditionalIndex{Conditional: func(obj interface{}) (bool, error) {
			j, ok := obj.(*structs.Job)
			if !ok {
				return false, fmt.Errorf("state: periodic index of %T", obj)
			}
			return j.IsPeriodicActive(), nil
		}},
	}
}

// PeriodicJobs returns the jobs whose children are launched on a schedule
// (periodic, enabled, not stopped, not parameterized), in every namespace.
func (s *StateStore) PeriodicJobs(ws memdb.WatchSet) ([]*structs.Job, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableJobs, indexPeriodic, true)
	if err != nil {
		return nil, fmt.Errorf("state: list periodic jobs: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Job))
	}
	return out, nil
}

// PeriodicLaunchByID returns the job's last launch, or nil if it has none.
func (s *StateStore) PeriodicLaunchByID(ws memdb.WatchSet, namespace, jobID string) (*structs.PeriodicLaunch, error) {
	return periodicLaunchTxn(s.db.Txn(false), ws, namespace, jobID)
}

func periodicLaunchTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, jobID string) (*structs.PeriodicLaunch, error) {
	watch, raw, err := txn.FirstWatch(TablePeriodicLaunch, indexID, namespace, jobID)
	if err != nil {
		return nil, fmt.Errorf("state: periodic launch of job %q: %w", jobID, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.PeriodicLaunch), nil
}

// PeriodicLaunches returns every periodic launch row.
func (s *StateStore) PeriodicLaunches(ws memdb.WatchSet) ([]*structs.PeriodicLaunch, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TablePeriodicLaunch, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list periodic launches: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.PeriodicLaunch
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.PeriodicLaunch))
	}
	return out, nil
}

// recordPeriodicLaunchTxn moves a periodic parent's last launch to the
// time in its child's ID when job is such a child. Recording it in the
// transaction that registers the child means a leader that fails right
// after a launch cannot leave the child without its record, which would
// make the next leader launch it again.
func recordPeriodicLaunchTxn(txn *memdb.Txn, index uint64, job *structs.Job) error {
	if job.ParentID == "" {
		return nil
	}
	at, ok := structs.PeriodicLaunchTime(job.ParentID, job.ID)
	if !ok {
		return nil
	}
	parent, err := jobByIDTxn(txn, nil, job.Namespace, job.ParentID)
	if err != nil || parent == nil || !parent.IsPeriodic() {
		return err
	}
	existing, err := periodicLaunchTxn(txn, nil, job.Namespace, job.ParentID)
	if err != nil {
		return err
	}
	launch := &structs.PeriodicLaunch{ID: job.ParentID, Namespace: job.Namespace, Launch: at,
		CreateIndex: index, ModifyIndex: index}
	if existing != nil {
		if !at.After(existing.Launch) {
			return nil
		}
		launch.CreateIndex = existing.CreateIndex
	}
	if err := txn.Insert(TablePeriodicLaunch, launch); err != nil {
		return fmt.Errorf("state: record launch of job %q: %w", job.ParentID, err)
	}
	return setIndex(txn, index, TablePeriodicLaunch)
}

// deletePeriodicLaunchTxn forgets a purged job's launches.
func deletePeriodicLaunchTxn(txn *memdb.Txn, index uint64, namespace, jobID string) error {
	n, err := txn.DeleteAll(TablePeriodicLaunch, indexID, namespace, jobID)
	if err != nil {
		return fmt.Errorf("state: delete periodic launch of job %q: %w", jobID, err)
	}
	if n == 0 {
		return nil
	}
	return setIndex(txn, index, TablePeriodicLaunch)
}

// PeriodicLaunchRestore restores a periodic launch row.
func (r *StateRestore) PeriodicLaunchRestore(l *structs.PeriodicLaunch) error {
	return r.insert(TablePeriodicLaunch, l)
}
