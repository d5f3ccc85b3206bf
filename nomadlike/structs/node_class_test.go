package structs

import (
	"testing"
	"time"
)

func classNode() *Node {
	return &Node{
		ID:         "11111111-aaaa",
		Name:       "node-a",
		Datacenter: "dc1",
		NodeClass:  "medium",
		NodePool:   "default",
		Attributes: map[string]string{
			"kernel.name":               "linux",
			"driver.raw_exec":           "1",
			"unique.hostname":           "node-a",
			"unique.network.ip-address": "10.0.0.1",
		},
		Meta:          map[string]string{"rack": "r1", "unique.serial": "A1"},
		NodeResources: &NodeResources{Cpu: NodeCpuResources{CpuShares: 4000}},
		Drivers: map[string]*DriverInfo{
			"raw_exec": {Detected: true, Healthy: true, UpdateTime: time.Unix(1, 0)},
		},
		Status: NodeStatusReady,
	}
}

func TestComputedClass(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(n *Node)
		same   bool
	}{
		{"identical", func(*Node) {}, true},
		{"identity and unique attributes", func(n *Node) {
			n.ID, n.Name, n.HTTPAddr = "22222222-bbbb", "node-b", "10.0.0.2:4646"
			n.Attributes["unique.hostname"] = "node-b"
			n.Meta["unique.serial"] = "B2"
		}, true},
		{"resources, status and eligibility", func(n *Node) {
			n.NodeResources.Cpu.CpuShares = 8000
			n.Status, n.SchedulingEligibility, n.Drain = NodeStatusDown, NodeSchedulingIneligible, true
		}, true},
		{"driver fingerprint time", func(n *Node) { n.Drivers["raw_exec"].UpdateTime = time.Unix(99, 0) }, true},
		{"empty pool is default", func(n *Node) { n.NodePool = "" }, true},
		{"datacenter", func(n *Node) { n.Datacenter = "dc2" }, false},
		{"node class", func(n *Node) { n.NodeClass = "large" }, false},
		{"node pool", func(n *Node) { n.NodePool = "gpu" }, false},
		{"attribute value", func(n *Node) { n.Attributes["kernel.name"] = "freebsd" }, false},
		{"extra attribute", func(n *Node) { n.Attributes["cpu.arch"] = "arm64" }, false},
		{"meta", func(n *Node) { n.Meta["rack"] = "r2" }, false},
		{"driver health", func(n *Node) { n.Drivers["raw_exec"].Healthy = false }, false},
		{"driver added", func(n *Node) { n.Drivers["exec"] = &DriverInfo{Detected: true, Healthy: true} }, false},
		// A key moving between maps must not hash like the original.
		{"attribute moved to meta", func(n *Node) {
			delete(n.Attributes, "kernel.name")
			n.Meta["kernel.name"] = "linux"
		}, false},
	}
	base := ComputedClassOf(classNode())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := classNode()
			tc.change(n)
			n.ComputeClass()
			if got := n.ComputedClass == base; got != tc.same {
				t.Fatalf("same class = %v, want %v (%s vs %s)", got, tc.same, n.ComputedClass, base)
			}
		})
	}
}

func TestConstraintEscapesClass(t *testing.T) {
	t.Parallel()
	cases := []struct {
		c    *Constraint
		want bool
	}{
		{&Constraint{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}, false},
		{&Constraint{LTarget: "${meta.rack}", RTarget: "r1", Operand: "="}, false},
		{&Constraint{LTarget: "${node.class}", RTarget: "medium", Operand: "="}, false},
		{&Constraint{LTarget: "${node.unique.name}", RTarget: "node-a", Operand: "!="}, true},
		{&Constraint{LTarget: "${node.unique.id}", RTarget: "x", Operand: "="}, true},
		{&Constraint{LTarget: "${attr.unique.hostname}", RTarget: "a", Operand: "regexp"}, true},
		{&Constraint{LTarget: "linux", RTarget: "${meta.unique.serial}", Operand: "="}, true},
		{nil, false},
	}
	for _, tc := range cases {
		name := "nil"
		if tc.c != nil {
			name = tc.c.LTarget + " " + tc.c.RTarget
		}
		t.Run(name, func(t *testing.T) {
			if got := ConstraintEscapesClass(tc.c); got != tc.want {
				t.Fatalf("escapes = %v, want %v", got, tc.want)
			}
		})
	}
}
