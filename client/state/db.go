package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-msgpack/v2/codec"
	bolt "go.etcd.io/bbolt"

	"github.com/orch-dev/orch/nomadlike/pool"
)

// FileName is the database's name inside the client's state directory.
const FileName = "state.db"

// schemaVersion is written on creation and checked on open; bump it when
// the layout below changes incompatibly.
const schemaVersion = 1

// openTimeout bounds the wait for bbolt's file lock: a second agent on the
// same data dir must fail with a clear message, not hang.
const openTimeout = 2 * time.Second

// Layout:
//
//	meta/schema_version             -> "1"
//	allocations/<alloc id>/alloc    -> msgpack structs.Allocation (with Job)
//	allocations/<alloc id>/task/<name>/state  -> msgpack structs.TaskState
//	allocations/<alloc id>/task/<name>/handle -> msgpack sdk.TaskHandle
//	plugins/<driver name>           -> msgpack of the caller's value
var (
	metaBucket    = []byte("meta")
	allocsBucket  = []byte("allocations")
	pluginsBucket = []byte("plugins")

	schemaKey    = []byte("schema_version")
	allocKey     = []byte("alloc")
	tasksBucket  = []byte("task")
	taskStateKey = []byte("state")
	handleKey    = []byte("handle")
)

// ErrSchema is returned by Open for a database written by an incompatible
// version of orch.
var ErrSchema = errors.New("client state database has an unsupported schema version")

// DB is the client's state database.
type DB struct {
	bolt   *bolt.DB
	logger hclog.Logger
}

// Open opens or creates the database at path. Only one process may hold it
// open; a second one fails after a short wait.
func Open(path string, logger hclog.Logger) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("client state: create directory: %w", err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("client state: open %s: locked by another process (is another agent using this data_dir?)", path)
		}
		return nil, fmt.Errorf("client state: open %s: %w", path, err)
	}
	db := &DB{bolt: b, logger: logger.Named("state_db")}
	if err := db.init(); err != nil {
		_ = b.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) init() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{metaBucket, allocsBucket, pluginsBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("client state: create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(metaBucket)
		v := meta.Get(schemaKey)
		if v == nil {
			return meta.Put(schemaKey, []byte(strconv.Itoa(schemaVersion)))
		}
		if n, err := strconv.Atoi(string(v)); err != nil || n != schemaVersion {
			return fmt.Errorf("client state: %w: found %q, this agent reads %d", ErrSchema, v, schemaVersion)
		}
		return nil
	})
}

// Close closes the database; later calls fail.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("client state: close: %w", err)
	}
	return nil
}

// Path is the database file.
func (db *DB) Path() string { return db.bolt.Path() }

func encode(v interface{}) ([]byte, error) {
	var out []byte
	if err := codec.NewEncoderBytes(&out, pool.MsgpackHandle).Encode(v); err != nil {
		return nil, err
	}
	return out, nil
}

func decode(b []byte, out interface{}) error {
	return codec.NewDecoderBytes(b, pool.MsgpackHandle).Decode(out)
}

// batch runs fn in a transaction shared with concurrent callers. fn may
// run more than once, so it must only write.
func (db *DB) batch(fn func(tx *bolt.Tx) error) error {
	return db.bolt.Batch(fn)
}
