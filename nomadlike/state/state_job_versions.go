package state

import (
	"fmt"
	"sort"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// DefaultJobTrackedVersions is how many versions of a job are kept, as
// Nomad's job_tracked_versions default.
const DefaultJobTrackedVersions = 6

// SetJobTrackedVersions sets how many versions of each job are kept; n < 1
// keeps the default. Call it before the first write.
func (s *StateStore) SetJobTrackedVersions(n int) {
	if n < 1 {
		n = DefaultJobTrackedVersions
	}
	s.trackedVersions.Store(int64(n))
}

func (s *StateStore) jobTrackedVersions() int {
	if n := s.trackedVersions.Load(); n > 0 {
		return int(n)
	}
	return DefaultJobTrackedVersions
}

// upsertJobVersionTxn records job as its version's entry, overwriting an
// earlier write of the same version (a status or stability change), and
// prunes the oldest versions beyond keep. The newest stable version is
// never pruned: it is what auto-revert and `job revert` go back to.
func upsertJobVersionTxn(txn *memdb.Txn, index uint64, job *structs.Job, keep int) error {
	if err := txn.Insert(TableJobVersion, job); err != nil {
		return fmt.Errorf("state: insert version %d of job %q: %w", job.Version, job.ID, err)
	}
	versions, err := jobVersionsTxn(txn, nil, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	if len(versions) > keep {
		stable := -1
		for i, v := range versions {
			if v.Stable {
				stable = i
				break
			}
		}
		excess := len(versions) - keep
		// versions is newest first: drop from the tail, skipping the
		// newest stable one.
		for i := len(versions) - 1; i >= 0 && excess > 0; i-- {
			if i == stable || versions[i].Version == job.Version {
				continue
			}
			if err := txn.Delete(TableJobVersion, versions[i]); err != nil {
				return fmt.Errorf("state: prune version %d of job %q: %w", versions[i].Version, job.ID, err)
			}
			excess--
		}
	}
	return setIndex(txn, index, TableJobVersion)
}

// JobVersionsByID returns the kept versions of a job, newest first.
func (s *StateStore) JobVersionsByID(ws memdb.WatchSet, namespace, id string) ([]*structs.Job, error) {
	return jobVersionsTxn(s.db.Txn(false), ws, namespace, id)
}

func jobVersionsTxn(txn *memdb.Txn, ws memdb.WatchSet, namespace, id string) ([]*structs.Job, error) {
	iter, err := txn.Get(TableJobVersion, indexID+"_prefix", namespace, id)
	if err != nil {
		return nil, fmt.Errorf("state: versions of job %q: %w", id, err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		j := raw.(*structs.Job)
		// The prefix index also matches jobs whose ID extends this one.
		if j.ID == id {
			out = append(out, j)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Version > out[b].Version })
	return out, nil
}

// JobByIDAndVersion returns one kept version of a job, or nil.
func (s *StateStore) JobByIDAndVersion(ws memdb.WatchSet, namespace, id string, version uint64) (*structs.Job, error) {
	txn := s.db.Txn(false)
	watch, raw, err := txn.FirstWatch(TableJobVersion, indexID, namespace, id, version)
	if err != nil {
		return nil, fmt.Errorf("state: version %d of job %q: %w", version, id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Job), nil
}

// JobVersions returns every kept version of every job, for snapshots.
func (s *StateStore) JobVersions(ws memdb.WatchSet) ([]*structs.Job, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableJobVersion, indexID)
	if err != nil {
		return nil, fmt.Errorf("state: list job versions: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Job
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Job))
	}
	return out, nil
}

func deleteJobVersionsTxn(txn *memdb.Txn, index uint64, namespace, id string) error {
	versions, err := jobVersionsTxn(txn, nil, namespace, id)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if err := txn.Delete(TableJobVersion, v); err != nil {
			return fmt.Errorf("state: delete version %d of job %q: %w", v.Version, id, err)
		}
	}
	return setIndex(txn, index, TableJobVersion)
}

// JobVersionRestore inserts a version during a snapshot restore.
func (r *StateRestore) JobVersionRestore(j *structs.Job) error {
	return r.insert(TableJobVersion, j)
}

// UpdateJobStability sets the Stable flag of one version of a job, on the
// kept version and, when it is the current one, on the job itself.
func (s *StateStore) UpdateJobStability(index uint64, namespace, id string, version uint64, stable bool) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	if err := updateJobStabilityTxn(txn, index, namespace, id, version, stable); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func updateJobStabilityTxn(txn *memdb.Txn, index uint64, namespace, id string, version uint64, stable bool) error {
	raw, err := txn.First(TableJobVersion, indexID, namespace, id, version)
	if err != nil {
		return fmt.Errorf("state: version %d of job %q: %w", version, id, err)
	}
	if raw == nil {
		return fmt.Errorf("state: version %d of job %q in namespace %q: %w", version, id, namespace, structs.ErrNotFound)
	}
	v := raw.(*structs.Job).Copy()
	v.Stable = stable
	v.ModifyIndex = index
	if err := txn.Insert(TableJobVersion, v); err != nil {
		return fmt.Errorf("state: update version %d of job %q: %w", version, id, err)
	}
	current, err := jobByIDTxn(txn, nil, namespace, id)
	if err != nil {
		return err
	}
	tables := []string{TableJobVersion}
	if current != nil && current.Version == version {
		job := current.Copy()
		job.Stable = stable
		job.ModifyIndex = index
		if err := txn.Insert(TableJobs, job); err != nil {
			return fmt.Errorf("state: update stability of job %q: %w", id, err)
		}
		tables = append(tables, TableJobs)
	}
	return setIndex(txn, index, tables...)
}
