package state_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"

	"github.com/orch-dev/orch/client/state"
	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func openDB(t *testing.T, path string) *state.DB {
	t.Helper()
	db, err := state.Open(path, hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

// TestRoundTripAcrossReopen is what an agent restart relies on: what one
// process wrote, the next one reads back equal.
func TestRoundTripAcrossReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "client", state.FileName)
	db := openDB(t, path)

	alloc := mock.Alloc()
	alloc.Job.TaskGroups[0].Tasks[0].Config = map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"10"}}
	now := time.Now().Round(0).UTC()
	ts := &structs.TaskState{
		State: structs.TaskStateRunning, Restarts: 2, StartedAt: now, LastRestart: now.Add(-time.Second),
		Events: []*structs.TaskEvent{{Type: structs.TaskStarted, Time: now.UnixNano(), Details: map[string]string{"k": "v"}}},
	}
	handle := &sdk.TaskHandle{
		Version: 1, State: sdk.TaskStateRunning, DriverState: []byte(`{"pid":42}`),
		Config: &sdk.TaskConfig{
			ID: alloc.ID + "/web/abcd", Name: "web", AllocID: alloc.ID, Env: map[string]string{"A": "1"},
			Config:    map[string]interface{}{"command": "/bin/sleep"},
			Resources: &sdk.Resources{CPUShares: 100, MemoryMB: 64}, StdoutPath: "/x/web.stdout", LogMaxFiles: 3,
		},
	}
	type plugin struct {
		Pid  int
		Addr string
	}
	steps := []error{
		db.PutAllocation(alloc),
		db.PutTaskState(alloc.ID, "web", ts),
		db.PutTaskHandle(alloc.ID, "web", handle),
		db.PutTaskState(alloc.ID, "sidecar", &structs.TaskState{State: structs.TaskStatePending}),
		db.PutDriverPlugin("raw_exec", &plugin{Pid: 7, Addr: "/tmp/plugin.sock"}),
	}
	if err := errors.Join(steps...); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path)
	defer db.Close()
	recs, broken, err := db.Allocations()
	if err != nil || len(broken) != 0 || len(recs) != 1 {
		t.Fatalf("Allocations() = %d records, broken %v, %v; want 1 record", len(recs), broken, err)
	}
	rec := recs[0]
	if rec.Alloc.ID != alloc.ID || rec.Alloc.Job == nil || !reflect.DeepEqual(rec.Alloc.Job.TaskGroups[0].Tasks[0].Config, alloc.Job.TaskGroups[0].Tasks[0].Config) {
		t.Errorf("allocation = %+v, want %s with its job and task config", rec.Alloc, alloc.ID)
	}
	web := rec.Tasks["web"]
	if web == nil || !reflect.DeepEqual(web.State, ts) {
		t.Errorf("web state = %+v, want %+v", web.State, ts)
	}
	if web == nil || !reflect.DeepEqual(web.Handle, handle) {
		t.Errorf("web handle = %+v, want %+v", web.Handle, handle)
	}
	if side := rec.Tasks["sidecar"]; side == nil || side.Handle != nil || side.State.State != structs.TaskStatePending {
		t.Errorf("sidecar = %+v, want a pending state and no handle", side)
	}
	var p plugin
	if found, err := db.GetDriverPlugin("raw_exec", &p); !found || err != nil || p != (plugin{7, "/tmp/plugin.sock"}) {
		t.Errorf("GetDriverPlugin = %+v, %v, %v", p, found, err)
	}
	if found, err := db.GetDriverPlugin("docker", &p); found || err != nil {
		t.Errorf("GetDriverPlugin(docker) = %v, %v; want not found", found, err)
	}
	if names, err := db.DriverPlugins(); err != nil || !reflect.DeepEqual(names, []string{"raw_exec"}) {
		t.Errorf("DriverPlugins() = %v, %v", names, err)
	}
}

func TestDeletes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		steps func(db *state.DB, id string) error
		check func(t *testing.T, recs []*state.AllocRecord)
	}{
		{
			name: "nil handle removes the handle, keeps the state",
			steps: func(db *state.DB, id string) error {
				return errors.Join(
					db.PutTaskHandle(id, "web", &sdk.TaskHandle{Version: 1, Config: &sdk.TaskConfig{ID: "t"}}),
					db.PutTaskState(id, "web", &structs.TaskState{State: structs.TaskStateDead}),
					db.PutTaskHandle(id, "web", nil))
			},
			check: func(t *testing.T, recs []*state.AllocRecord) {
				if len(recs) != 1 || recs[0].Tasks["web"].Handle != nil || recs[0].Tasks["web"].State.State != structs.TaskStateDead {
					t.Errorf("records = %+v, want one dead task without handle", recs)
				}
			},
		},
		{
			name: "deleted allocation takes its tasks and ignores late task writes",
			steps: func(db *state.DB, id string) error {
				return errors.Join(
					db.PutTaskState(id, "web", &structs.TaskState{State: structs.TaskStateRunning}),
					db.DeleteAllocation(id),
					db.PutTaskState(id, "web", &structs.TaskState{State: structs.TaskStateDead}),
					db.PutTaskHandle(id, "web", &sdk.TaskHandle{}),
					db.DeleteAllocation(id))
			},
			check: func(t *testing.T, recs []*state.AllocRecord) {
				if len(recs) != 0 {
					t.Errorf("records = %+v, want none", recs)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, filepath.Join(t.TempDir(), state.FileName))
			defer db.Close()
			alloc := mock.Alloc()
			if err := db.PutAllocation(alloc); err != nil {
				t.Fatal(err)
			}
			if err := tc.steps(db, alloc.ID); err != nil {
				t.Fatal(err)
			}
			recs, broken, err := db.Allocations()
			if err != nil || len(broken) != 0 {
				t.Fatalf("Allocations: broken %v, %v", broken, err)
			}
			tc.check(t, recs)
		})
	}
}

// TestConcurrentWritesShareBatches: many task runners writing at once must
// all land; bbolt's Batch coalesces them.
func TestConcurrentWritesShareBatches(t *testing.T) {
	t.Parallel()
	db := openDB(t, filepath.Join(t.TempDir(), state.FileName))
	defer db.Close()
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := mock.Alloc()
			errs <- errors.Join(db.PutAllocation(a),
				db.PutTaskState(a.ID, "web", &structs.TaskState{State: structs.TaskStateRunning}),
				db.PutTaskHandle(a.ID, "web", &sdk.TaskHandle{Version: 1, Config: &sdk.TaskConfig{ID: a.ID}}))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, _, err := db.Allocations()
	if err != nil || len(recs) != n {
		t.Fatalf("Allocations() = %d records, %v; want %d", len(recs), err, n)
	}
	for _, r := range recs {
		if h := r.Tasks["web"].Handle; h == nil || h.Config.ID != r.Alloc.ID {
			t.Errorf("alloc %s: handle %+v", r.Alloc.ID, h)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    error
	}{
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				b, err := bolt.Open(path, 0o600, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				err = b.Update(func(tx *bolt.Tx) error {
					m, err := tx.CreateBucket([]byte("meta"))
					if err != nil {
						return err
					}
					return m.Put([]byte("schema_version"), []byte("99"))
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			want: state.ErrSchema,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), state.FileName)
			tc.prepare(t, path)
			db, err := state.Open(path, hclog.NewNullLogger())
			if err == nil {
				db.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Open = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBrokenRecordDoesNotHideOthers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), state.FileName)
	db := openDB(t, path)
	good := mock.Alloc()
	if err := db.PutAllocation(good); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		ab, err := tx.Bucket([]byte("allocations")).CreateBucket([]byte("bad"))
		if err != nil {
			return err
		}
		return ab.Put([]byte("alloc"), []byte{0xc1}) // 0xc1 is never valid msgpack
	})
	if cerr := b.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	db = openDB(t, path)
	defer db.Close()
	recs, broken, err := db.Allocations()
	if err != nil || len(recs) != 1 || recs[0].Alloc.ID != good.ID || broken["bad"] == nil {
		t.Fatalf("Allocations() = %v, broken %v, %v; want the good one and bad reported", recs, broken, err)
	}
}

func TestPutAllocations(t *testing.T) {
	t.Parallel()
	db := openDB(t, filepath.Join(t.TempDir(), state.FileName))
	defer db.Close()
	allocs := []*structs.Allocation{mock.Alloc(), mock.Alloc(), mock.Alloc()}
	if err := db.PutAllocations(allocs); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAllocations([]*structs.Allocation{{}}); err == nil {
		t.Error("PutAllocations of an allocation without ID succeeded, want an error")
	}
	recs, _, err := db.Allocations()
	if err != nil || len(recs) != len(allocs) {
		t.Fatalf("Allocations() = %d records, %v; want %d", len(recs), err, len(allocs))
	}
}
