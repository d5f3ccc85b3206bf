package state

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// AllocRecord is a persisted allocation with what its tasks left behind.
type AllocRecord struct {
	Alloc *structs.Allocation
	// Tasks by task name; a task that never reached a state has none.
	Tasks map[string]*TaskRecord
}

// TaskRecord is one task's persisted state. Handle is nil when the task
// has no live driver task (never started, or destroyed after it exited).
type TaskRecord struct {
	State  *structs.TaskState
	Handle *sdk.TaskHandle
}

// PutAllocation stores the server's allocation, job included, replacing an
// older copy and keeping its tasks' records.
func (db *DB) PutAllocation(alloc *structs.Allocation) error {
	if alloc == nil || alloc.ID == "" {
		return fmt.Errorf("client state: put allocation: an allocation with an ID is required")
	}
	b, err := encode(alloc)
	if err != nil {
		return fmt.Errorf("client state: encode allocation %s: %w", alloc.ID, err)
	}
	err = db.batch(func(tx *bolt.Tx) error {
		ab, err := tx.Bucket(allocsBucket).CreateBucketIfNotExists([]byte(alloc.ID))
		if err != nil {
			return err
		}
		return ab.Put(allocKey, b)
	})
	if err != nil {
		return fmt.Errorf("client state: put allocation %s: %w", alloc.ID, err)
	}
	return nil
}

// PutAllocations stores many allocations in one transaction, as
// PutAllocation does one: a client pulling hundreds at once pays one
// fsync, not one each.
func (db *DB) PutAllocations(allocs []*structs.Allocation) error {
	if len(allocs) == 0 {
		return nil
	}
	encoded := make([][]byte, len(allocs))
	for i, a := range allocs {
		if a == nil || a.ID == "" {
			return fmt.Errorf("client state: put allocations: an allocation with an ID is required")
		}
		b, err := encode(a)
		if err != nil {
			return fmt.Errorf("client state: encode allocation %s: %w", a.ID, err)
		}
		encoded[i] = b
	}
	err := db.batch(func(tx *bolt.Tx) error {
		for i, a := range allocs {
			ab, err := tx.Bucket(allocsBucket).CreateBucketIfNotExists([]byte(a.ID))
			if err != nil {
				return err
			}
			if err := ab.Put(allocKey, encoded[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("client state: put %d allocations: %w", len(allocs), err)
	}
	return nil
}

// DeleteAllocation forgets an allocation and its tasks. Deleting one that
// is not there is not an error.
func (db *DB) DeleteAllocation(allocID string) error {
	err := db.batch(func(tx *bolt.Tx) error {
		err := tx.Bucket(allocsBucket).DeleteBucket([]byte(allocID))
		if err == bolt.ErrBucketNotFound {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("client state: delete allocation %s: %w", allocID, err)
	}
	return nil
}

// PutTaskState stores a task's state. It is a no-op for an allocation that
// is not stored (already deleted), so a late write from a task runner
// cannot resurrect a garbage-collected allocation.
func (db *DB) PutTaskState(allocID, task string, st *structs.TaskState) error {
	b, err := encode(st)
	if err != nil {
		return fmt.Errorf("client state: encode state of task %s/%s: %w", allocID, task, err)
	}
	return db.putTaskValue(allocID, task, taskStateKey, b)
}

// PutTaskHandle stores the driver handle of a task's current run; nil
// removes it, for a task whose driver task is gone.
func (db *DB) PutTaskHandle(allocID, task string, h *sdk.TaskHandle) error {
	var b []byte
	if h != nil {
		var err error
		if b, err = encode(h); err != nil {
			return fmt.Errorf("client state: encode handle of task %s/%s: %w", allocID, task, err)
		}
	}
	return db.putTaskValue(allocID, task, handleKey, b)
}

// putTaskValue writes key in the task's bucket; a nil value deletes it.
func (db *DB) putTaskValue(allocID, task string, key, value []byte) error {
	err := db.batch(func(tx *bolt.Tx) error {
		ab := tx.Bucket(allocsBucket).Bucket([]byte(allocID))
		if ab == nil {
			return nil
		}
		tasks, err := ab.CreateBucketIfNotExists(tasksBucket)
		if err != nil {
			return err
		}
		tb, err := tasks.CreateBucketIfNotExists([]byte(task))
		if err != nil {
			return err
		}
		if value == nil {
			return tb.Delete(key)
		}
		return tb.Put(key, value)
	})
	if err != nil {
		return fmt.Errorf("client state: write %s of task %s/%s: %w", key, allocID, task, err)
	}
	return nil
}

// Allocations returns every stored allocation. A record that cannot be
// decoded does not hide the others: it is reported in broken, by alloc ID,
// and the caller decides whether to delete it.
func (db *DB) Allocations() (records []*AllocRecord, broken map[string]error, err error) {
	broken = make(map[string]error)
	err = db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(allocsBucket).ForEachBucket(func(id []byte) error {
			rec, err := readAlloc(tx.Bucket(allocsBucket).Bucket(id))
			if err != nil {
				broken[string(id)] = err
				return nil
			}
			records = append(records, rec)
			return nil
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("client state: read allocations: %w", err)
	}
	return records, broken, nil
}

func readAlloc(ab *bolt.Bucket) (*AllocRecord, error) {
	raw := ab.Get(allocKey)
	if raw == nil {
		return nil, fmt.Errorf("no allocation stored")
	}
	rec := &AllocRecord{Tasks: make(map[string]*TaskRecord)}
	if err := decode(raw, &rec.Alloc); err != nil {
		return nil, fmt.Errorf("decode allocation: %w", err)
	}
	tasks := ab.Bucket(tasksBucket)
	if tasks == nil {
		return rec, nil
	}
	err := tasks.ForEachBucket(func(name []byte) error {
		tb := tasks.Bucket(name)
		tr := &TaskRecord{}
		if v := tb.Get(taskStateKey); v != nil {
			if err := decode(v, &tr.State); err != nil {
				return fmt.Errorf("decode state of task %q: %w", name, err)
			}
		}
		if v := tb.Get(handleKey); v != nil {
			if err := decode(v, &tr.Handle); err != nil {
				return fmt.Errorf("decode handle of task %q: %w", name, err)
			}
		}
		rec.Tasks[string(name)] = tr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}
