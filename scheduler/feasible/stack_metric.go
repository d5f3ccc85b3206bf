package feasible

import "github.com/orch-dev/orch/nomadlike/structs"

// rejections collects one placement's filtered and exhausted nodes by key
// before they go into the metric's maps. A placement rejects dozens of
// nodes for the same few reasons (half of a cluster fails a rack
// constraint, say), and comparing with the handful of keys seen so far
// costs much less than hashing a constraint's text into a map for each.
type rejections struct {
	constraint, classFiltered, classExhausted, dimension tally
}

func (r *rejections) filter(m *structs.AllocMetric, node *structs.Node, reason string) {
	m.NodesFiltered++
	if node.NodeClass != "" {
		r.classFiltered.add(node.NodeClass)
	}
	r.constraint.add(reason)
}

func (r *rejections) exhaust(m *structs.AllocMetric, node *structs.Node, dim string) {
	m.NodesExhausted++
	if node.NodeClass != "" {
		r.classExhausted.add(node.NodeClass)
	}
	r.dimension.add(dim)
}

// flush adds the counts to m's maps and empties r for the next placement.
func (r *rejections) flush(m *structs.AllocMetric) {
	m.ConstraintFiltered = r.constraint.flush(m.ConstraintFiltered)
	m.ClassFiltered = r.classFiltered.flush(m.ClassFiltered)
	m.ClassExhausted = r.classExhausted.flush(m.ClassExhausted)
	m.DimensionExhausted = r.dimension.flush(m.DimensionExhausted)
}

// tally counts keys in first-seen order; it is meant for a few distinct
// keys, which it finds by a linear scan.
type tally struct {
	keys   []string
	counts []int
}

func (t *tally) add(key string) {
	for i, k := range t.keys {
		if k == key {
			t.counts[i]++
			return
		}
	}
	t.keys = append(t.keys, key)
	t.counts = append(t.counts, 1)
}

func (t *tally) flush(dst map[string]int) map[string]int {
	if len(t.keys) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]int, len(t.keys))
	}
	for i, k := range t.keys {
		dst[k] += t.counts[i]
	}
	t.keys, t.counts = t.keys[:0], t.counts[:0]
	return dst
}
