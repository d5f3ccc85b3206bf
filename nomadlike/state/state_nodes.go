package state

import (
	"fmt"

	"github.com/hashicorp/go-memdb"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// UpsertNode registers a node or updates its fingerprint. A re-registering
// node keeps its CreateIndex and the eligibility and drain an operator set.
func (s *StateStore) UpsertNode(index uint64, in *structs.Node) error {
	if in == nil || in.ID == "" {
		return fmt.Errorf("state: upsert node: %w: node and its ID are required", structs.ErrBadRequest)
	}
	txn := s.db.Txn(true)
	defer txn.Abort()
	existing, err := nodeByIDTxn(txn, nil, in.ID)
	if err != nil {
		return err
	}
	node := in.Copy()
	node.ModifyIndex = index
	if existing != nil {
		node.CreateIndex = existing.CreateIndex
		node.SchedulingEligibility = existing.SchedulingEligibility
		node.Drain = existing.Drain
		node.DrainStrategy = existing.DrainStrategy.Copy()
	} else {
		node.CreateIndex = index
		if node.SchedulingEligibility == "" {
			node.SchedulingEligibility = structs.NodeSchedulingEligible
		}
	}
	if node.Status == "" {
		node.Status = structs.NodeStatusInit
	}
	if err := txn.Insert(TableNodes, node); err != nil {
		return fmt.Errorf("state: insert node %q: %w", node.ID, err)
	}
	if err := setIndex(txn, index, TableNodes); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// DeleteNode removes nodes. Unknown IDs are an error and nothing is
// removed.
func (s *StateStore) DeleteNode(index uint64, nodeIDs []string) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	for _, id := range nodeIDs {
		existing, err := nodeByIDTxn(txn, nil, id)
		if err != nil {
			return err
		}
		if existing == nil {
			return fmt.Errorf("state: delete node %q: %w", id, structs.ErrNotFound)
		}
		if err := txn.Delete(TableNodes, existing); err != nil {
			return fmt.Errorf("state: delete node %q: %w", id, err)
		}
	}
	if err := setIndex(txn, index, TableNodes); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// UpdateNodeStatus sets a node's status (ready, down, ...).
func (s *StateStore) UpdateNodeStatus(index uint64, nodeID, status string, updatedAt int64) error {
	return s.updateNode(index, nodeID, func(n *structs.Node) {
		n.Status = status
		n.StatusUpdatedAt = updatedAt
	})
}

// UpdateNodeEligibility marks a node eligible or ineligible for new work.
func (s *StateStore) UpdateNodeEligibility(index uint64, nodeID, eligibility string, updatedAt int64) error {
	return s.updateNode(index, nodeID, func(n *structs.Node) {
		n.SchedulingEligibility = eligibility
		n.StatusUpdatedAt = updatedAt
	})
}

func (s *StateStore) updateNode(index uint64, nodeID string, change func(*structs.Node)) error {
	txn := s.db.Txn(true)
	defer txn.Abort()
	existing, err := nodeByIDTxn(txn, nil, nodeID)
	if err != nil {
		return err
	}
	if existing == nil {
		return fmt.Errorf("state: update node %q: %w", nodeID, structs.ErrNotFound)
	}
	node := existing.Copy()
	change(node)
	node.ModifyIndex = index
	if err := txn.Insert(TableNodes, node); err != nil {
		return fmt.Errorf("state: update node %q: %w", nodeID, err)
	}
	if err := setIndex(txn, index, TableNodes); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

// NodeByID returns the node, or nil if there is none.
func (s *StateStore) NodeByID(ws memdb.WatchSet, id string) (*structs.Node, error) {
	return nodeByIDTxn(s.db.Txn(false), ws, id)
}

func nodeByIDTxn(txn *memdb.Txn, ws memdb.WatchSet, id string) (*structs.Node, error) {
	watch, raw, err := txn.FirstWatch(TableNodes, indexID, id)
	if err != nil {
		return nil, fmt.Errorf("state: node lookup %q: %w", id, err)
	}
	ws.Add(watch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*structs.Node), nil
}

// Nodes returns every node, sorted by ID.
func (s *StateStore) Nodes(ws memdb.WatchSet) ([]*structs.Node, error) {
	return s.NodesByIDPrefix(ws, "")
}

// NodesByIDPrefix returns the nodes whose ID starts with prefix.
func (s *StateStore) NodesByIDPrefix(ws memdb.WatchSet, prefix string) ([]*structs.Node, error) {
	txn := s.db.Txn(false)
	iter, err := txn.Get(TableNodes, indexID+"_prefix", prefix)
	if err != nil {
		return nil, fmt.Errorf("state: list nodes: %w", err)
	}
	ws.Add(iter.WatchCh())
	var out []*structs.Node
	for raw := iter.Next(); raw != nil; raw = iter.Next() {
		out = append(out, raw.(*structs.Node))
	}
	return out, nil
}
