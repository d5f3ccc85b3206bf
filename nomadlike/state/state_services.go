package state

import (
	"fmt"
	"slices"
	"sort"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// TableServiceRegistrations is the service catalog: one row per instance
// of a service (an allocation's service block), as Nomad's
// service_registrations table.
const TableServiceRegistrations = "service_registrations"

const (
	indexServiceName = "service_name"
	indexAllocID     = "alloc_id"
	indexNodeID      = "node_id"
)

func serviceRegistrationsTable() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: TableServiceRegistrations,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:          {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			indexServiceName: nsIDIndex(indexServiceName, "Namespace", "ServiceName", false),
			indexAllocID:     {Name: indexAllocID, Indexer: &memdb.StringFieldIndex{Field: "AllocID"}},
			indexNodeID:      {Name: indexNodeID, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
		},
	}
}

// UpsertServiceRegistrations writes instances, keeping each existing
// row's CreateIndex. A row whose content is unchanged is not rewritten,
// so a client resending its instances wakes no watcher.
func (s *StateStore) UpsertServiceRegistrations(index uint64, regs []*structs.ServiceRegistration) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	changed := false
	for _, r := range regs {
		if r == nil || r.ID == "" {
			return fmt.Errorf("state: upsert service registration: missing ID")
		}
		raw, err := txn.First(TableServiceRegistrations, indexID, r.ID)
		if err != nil {
			return fmt.Errorf("state: service registration %q: %w", r.ID, err)
		}
		row := r.Copy()
		row.CreateIndex, row.ModifyIndex = index, index
		if raw != nil {
			old := raw.(*structs.ServiceRegistration)
			if sameRegistration(old, row) {
				continue
			}
			row.CreateIndex = old.CreateIndex
		}
		if err := txn.Insert(TableServiceRegistrations, row); err != nil {
			return fmt.Errorf("state: insert service registration %q: %w", r.ID, err)
		}
		changed = true
	}
	if !changed {
		return nil
	}
	if err := setIndex(txn, index, TableServiceRegistrations); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func sameRegistration(a, b *structs.ServiceRegistration) bool {
	return a.ServiceName == b.ServiceName && a.Namespace == b.Namespace && a.NodeID == b.NodeID &&
		a.Datacenter == b.Datacenter && a.JobID == b.JobID && a.AllocID == b.AllocID &&
		a.Address == b.Address && a.Port == b.Port && a.Status == b.Status && slices.Equal(a.Tags, b.Tags)
}

// DeleteServiceRegistrationByID removes one instance; a missing ID is not
// an error, since a client retrying a delete must succeed.
func (s *StateStore) DeleteServiceRegistrationByID(index uint64, id string) error {
	return s.deleteServiceRegistrations(index, indexID, id)
}

// DeleteServiceRegistrationsByAlloc removes the instances of allocations.
func (s *StateStore) DeleteServiceRegistrationsByAlloc(index uint64, allocIDs ...string) error {
	return s.deleteServiceRegistrations(index, indexAllocID, allocIDs...)
}

// DeleteServiceRegistrationsByNode removes every instance on a node.
func (s *StateStore) DeleteServiceRegistrationsByNode(index uint64, nodeID string) error {
	return s.deleteServiceRegistrations(index, indexNodeID, nodeID)
}

func (s *StateStore) deleteServiceRegistrations(index uint64, by string, keys ...string) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	total := 0
	for _, k := range keys {
		n, err := txn.DeleteAll(TableServiceRegistrations, by, k)
		if err != nil {
			return fmt.Errorf("state: delete service registrations by %s %q: %w", by, k, err)
		}
		total += n
	}
	if total == 0 {
		return nil
	}
	if err := setIndex(txn, index, TableServiceRegistrations); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// ServiceRegistrationByID returns one instance, or nil.
func (s *StateStore) ServiceRegistrationByID(ws memdb.WatchSet, id string) (*structs.ServiceRegistration, error) {
	watch, raw, err := s.db.Txn(false).FirstWatch(TableServiceRegistrations, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: service registration %q: %w", id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.ServiceRegistration), nil
}

// ServiceRegistrationsByName returns the instances of a service in a
// namespace, by ID.
func (s *StateStore) ServiceRegistrationsByName(ws memdb.WatchSet, namespace, name string) ([]*structs.ServiceRegistration, error) {
	return s.listServiceRegistrations(ws, indexServiceName, namespace, name)
}

// ServiceRegistrationsByAlloc returns an allocation's instances.
func (s *StateStore) ServiceRegistrationsByAlloc(ws memdb.WatchSet, allocID string) ([]*structs.ServiceRegistration, error) {
	return s.listServiceRegistrations(ws, indexAllocID, allocID)
}

// ServiceRegistrationsByNode returns the instances on a node.
func (s *StateStore) ServiceRegistrationsByNode(ws memdb.WatchSet, nodeID string) ([]*structs.ServiceRegistration, error) {
	return s.listServiceRegistrations(ws, indexNodeID, nodeID)
}

// ServiceRegistrations returns every instance, ordered by namespace and
// service name.
func (s *StateStore) ServiceRegistrations(ws memdb.WatchSet) ([]*structs.ServiceRegistration, error) {
	return s.listServiceRegistrations(ws, indexServiceName)
}

func (s *StateStore) listServiceRegistrations(ws memdb.WatchSet, by string, args ...interface{}) ([]*structs.ServiceRegistration, error) {
	iter, err := s.db.Txn(false).Get(TableServiceRegistrations, by, args...)
	if err != nil {
		return nil, fmt.Errorf("state: list service registrations: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.ServiceRegistration
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.ServiceRegistration))
	}
	if by != indexServiceName || len(args) > 0 {
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	}
	return out, nil
}

// ServiceRegistrationRestore restores a catalog row.
func (r *StateRestore) ServiceRegistrationRestore(reg *structs.ServiceRegistration) error {
	return r.insert(TableServiceRegistrations, reg)
}
