package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// SchedulerConfig returns the stored scheduler configuration, or nil when
// none was stored yet (the leader writes one when it takes office), with
// the index of the table.
func (s *StateStore) SchedulerConfig(ws memdb.WatchSet) (uint64, *structs.SchedulerConfiguration, error) {
	txn := s.db.Txn(false)
	cfg, err := schedulerConfigTxn(txn, ws)
	if err != nil {
		return 0, nil, err
	}
	idx, err := s.Index(TableSchedulerConfig)
	return idx, cfg, err
}

func schedulerConfigTxn(txn *memdb.Txn, ws memdb.WatchSet) (*structs.SchedulerConfiguration, error) {
	watch, raw, err := txn.FirstWatch(TableSchedulerConfig, indexID, true)
	if err != nil {
		return nil, fmt.Errorf("state: read scheduler configuration: %w", err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.SchedulerConfiguration), nil
}

// SchedulerSetConfig stores cfg unconditionally.
func (s *StateStore) SchedulerSetConfig(index uint64, cfg *structs.SchedulerConfiguration) error {
	_, err := s.schedulerSetConfig(index, cfg, false)
	return err
}

// SchedulerCASConfig stores cfg only if the stored configuration's
// ModifyIndex is still cfg.ModifyIndex, or, when cfg.ModifyIndex is 0,
// only if none is stored. It reports whether it stored it.
func (s *StateStore) SchedulerCASConfig(index uint64, cfg *structs.SchedulerConfiguration) (bool, error) {
	return s.schedulerSetConfig(index, cfg, true)
}

func (s *StateStore) schedulerSetConfig(index uint64, in *structs.SchedulerConfiguration, cas bool) (bool, error) {
	if in == nil {
		return false, fmt.Errorf("state: set scheduler configuration: %w: a configuration is required", structs.ErrBadRequest)
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	existing, err := schedulerConfigTxn(txn, nil)
	if err != nil {
		return false, err
	}
	if cas {
		switch {
		case in.ModifyIndex == 0 && existing != nil,
			in.ModifyIndex != 0 && (existing == nil || existing.ModifyIndex != in.ModifyIndex):
			return false, nil
		}
	}
	cfg := in.Copy()
	cfg.CreateIndex = index
	if existing != nil {
		cfg.CreateIndex = existing.CreateIndex
	}
	cfg.ModifyIndex = index
	if err := txn.Insert(TableSchedulerConfig, cfg); err != nil {
		return false, fmt.Errorf("state: store scheduler configuration: %w", err)
	}
	if err := setIndex(txn, index, TableSchedulerConfig); err != nil {
		return false, err
	}
	txn.Commit()
	return true, nil
}

// SchedulerConfigRestore restores the scheduler configuration.
func (r *StateRestore) SchedulerConfigRestore(cfg *structs.SchedulerConfiguration) error {
	return r.insert(TableSchedulerConfig, cfg)
}

// SchedulerConfig is what the schedulers plan with: the stored
// configuration, or the defaults before one is stored.
func (s *StateSnapshot) SchedulerConfig() (*structs.SchedulerConfiguration, error) {
	_, cfg, err := s.store.SchedulerConfig(nil)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return structs.DefaultSchedulerConfig(), nil
	}
	return cfg, nil
}
