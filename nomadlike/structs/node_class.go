package structs

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// UniquePrefix marks attribute and meta keys that identify one node (its
// hostname, its IP address, free disk). They are left out of the computed
// class, so nodes that differ only in them share a class.
const UniquePrefix = "unique."

// ComputeClass sets ComputedClass from the node's fields that feasibility
// checks can look at. Servers call it whenever a node registers, so that
// the scheduler and the blocked-evaluation tracker can reason about a
// whole class of identical nodes at once.
func (n *Node) ComputeClass() {
	n.ComputedClass = ComputedClassOf(n)
}

// ComputedClassOf hashes what drivers and constraints can tell apart on a
// node: datacenter, node class, node pool, attributes and meta (except
// unique.* keys) and which drivers are detected and healthy. Two nodes
// with the same value pass or fail the same driver and constraint checks,
// unless a constraint reads a unique target (see ConstraintEscapesClass).
// Resources are not part of it: they are checked per node, never by class.
// The "v1:" prefix lets the hashed fields change without old and new
// values being taken for the same class.
func ComputedClassOf(n *Node) string {
	h := fnv.New64a()
	field := func(s string) {
		var l [8]byte
		binary.LittleEndian.PutUint64(l[:], uint64(len(s)))
		h.Write(l[:])
		h.Write([]byte(s))
	}
	field("dc")
	field(n.Datacenter)
	field("class")
	field(n.NodeClass)
	field("pool")
	pool := n.NodePool
	if pool == "" {
		pool = "default"
	}
	field(pool)
	hashMap := func(name string, m map[string]string) {
		field(name)
		keys := make([]string, 0, len(m))
		for k := range m {
			if !strings.HasPrefix(k, UniquePrefix) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		field(strconv.Itoa(len(keys)))
		for _, k := range keys {
			field(k)
			field(m[k])
		}
	}
	hashMap("attr", n.Attributes)
	hashMap("meta", n.Meta)
	drivers := make(map[string]string, len(n.Drivers))
	for name, d := range n.Drivers {
		if d != nil {
			drivers[name] = strconv.FormatBool(d.Detected) + "/" + strconv.FormatBool(d.Healthy)
		}
	}
	hashMap("drivers", drivers)
	return "v1:" + strconv.FormatUint(h.Sum64(), 10)
}

// ConstraintEscapesClass reports whether c reads a target the computed
// class leaves out (${node.unique.id}, ${attr.unique.hostname}, ...): its
// verdict may then differ between nodes of one class, so the class cannot
// stand for the node.
func ConstraintEscapesClass(c *Constraint) bool {
	return c != nil && (targetEscapesClass(c.LTarget) || targetEscapesClass(c.RTarget))
}

func targetEscapesClass(target string) bool {
	for _, p := range []string{"${node.unique.", "${attr.unique.", "${meta.unique.", "${unique."} {
		if strings.HasPrefix(target, p) {
			return true
		}
	}
	return false
}
