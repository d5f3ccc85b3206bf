package feasible

import (
	"sort"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// ReasonHostVolumes is the filter reason of a node that lacks a host
// volume the group asks for, or offers it read-only to a group that wants
// to write: Nomad's wording, so a user searching for it finds the answer.
const ReasonHostVolumes = "missing compatible host volumes"

// HostVolumeChecker keeps nodes that offer every host volume a task group
// asks for, writable where a request is not read-only.
//
// A group whose requests are all shared (no per_alloc) gets the same
// verdict for every allocation, so the stack caches it with the other
// static checks. With per_alloc, each allocation wants its own volume,
// "<source>[<index>]", and the check depends on the allocation's name.
type HostVolumeChecker struct {
	asks     []hostVolumeAsk
	perAlloc bool
}

// hostVolumeAsk merges the requests of one source: a group may mount one
// volume several times, and one writable request makes the whole ask
// writable.
type hostVolumeAsk struct {
	source    string
	perAlloc  bool
	readWrite bool
}

// NewHostVolumeChecker returns the checker of tg's host volume requests,
// or nil when it asks for none.
func NewHostVolumeChecker(tg *structs.TaskGroup) *HostVolumeChecker {
	type key struct {
		source   string
		perAlloc bool
	}
	merged := make(map[key]bool)
	for _, req := range tg.Volumes {
		if req == nil || req.Type != structs.VolumeTypeHost {
			continue
		}
		k := key{req.Source, req.PerAlloc}
		merged[k] = merged[k] || !req.ReadOnly
	}
	if len(merged) == 0 {
		return nil
	}
	h := &HostVolumeChecker{}
	for k, rw := range merged {
		h.asks = append(h.asks, hostVolumeAsk{source: k.source, perAlloc: k.perAlloc, readWrite: rw})
		h.perAlloc = h.perAlloc || k.perAlloc
	}
	// A stable order keeps the check, and so a replayed run, deterministic.
	sort.Slice(h.asks, func(i, j int) bool {
		if h.asks[i].source != h.asks[j].source {
			return h.asks[i].source < h.asks[j].source
		}
		return !h.asks[i].perAlloc && h.asks[j].perAlloc
	})
	return h
}

// PerAlloc reports whether the verdict depends on the allocation's name.
func (h *HostVolumeChecker) PerAlloc() bool { return h.perAlloc }

// Feasible checks the node for a group without per_alloc volumes; it
// makes the checker a Checker for the stack's static stage.
func (h *HostVolumeChecker) Feasible(node *structs.Node) (bool, string) {
	return h.FeasibleFor(node, "")
}

// FeasibleFor checks the node for the allocation named allocName
// ("<job>.<group>[<index>]"), whose index selects per_alloc volumes.
func (h *HostVolumeChecker) FeasibleFor(node *structs.Node, allocName string) (bool, string) {
	suffix := structs.AllocSuffix(allocName)
	for _, ask := range h.asks {
		source := ask.source
		if ask.perAlloc {
			source += suffix
		}
		vol, ok := node.HostVolumes[source]
		if !ok || vol == nil || ask.readWrite && vol.ReadOnly {
			return false, ReasonHostVolumes
		}
	}
	return true, ""
}
