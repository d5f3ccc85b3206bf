package feasible

import (
	"maps"
	"slices"
	"testing"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"dc1", "dc1", true},
		{"dc1", "dc10", false},
		{"*", "anything", true},
		{"*", "", true},
		{"dc*", "dc2", true},
		{"us-*-1", "us-east-1", true},
		{"us-*-1", "us-east-2", false},
		{"*-1*", "eu-1b", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
	}
	for _, tc := range cases {
		t.Run(tc.pattern+"/"+tc.s, func(t *testing.T) {
			if got := globMatch(tc.pattern, tc.s); got != tc.want {
				t.Fatalf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
			}
		})
	}
}

func TestNodeCheckers(t *testing.T) {
	cases := []struct {
		name    string
		checker Checker
		change  func(*structs.Node)
		want    string // "" for feasible, else the reason
	}{
		{"ready", ReadyChecker{}, func(*structs.Node) {}, ""},
		{"down", ReadyChecker{}, func(n *structs.Node) { n.Status = structs.NodeStatusDown }, ReasonNotReady},
		{"ineligible", ReadyChecker{}, func(n *structs.Node) { n.SchedulingEligibility = structs.NodeSchedulingIneligible }, ReasonNotReady},
		{"draining", ReadyChecker{}, func(n *structs.Node) { n.Drain = true }, ReasonNotReady},
		{"dc listed", DatacenterChecker{Patterns: []string{"dc2", "dc1"}}, func(*structs.Node) {}, ""},
		{"dc glob", DatacenterChecker{Patterns: []string{"dc*"}}, func(*structs.Node) {}, ""},
		{"dc absent", DatacenterChecker{Patterns: []string{"dc2"}}, func(*structs.Node) {}, ReasonDatacenter},
		{"pool default both empty", PoolChecker{}, func(n *structs.Node) { n.NodePool = "" }, ""},
		{"pool all", PoolChecker{Pool: "all"}, func(n *structs.Node) { n.NodePool = "gpu" }, ""},
		{"pool mismatch", PoolChecker{Pool: "gpu"}, func(*structs.Node) {}, ReasonNodePool},
		{"driver fingerprinted", DriverChecker{Drivers: []string{"raw_exec"}}, func(*structs.Node) {}, ""},
		{"driver unhealthy beats attribute", DriverChecker{Drivers: []string{"raw_exec"}},
			func(n *structs.Node) { n.Drivers["raw_exec"].Healthy = false }, ReasonMissingDriver},
		{"driver attribute only", DriverChecker{Drivers: []string{"raw_exec"}},
			func(n *structs.Node) { delete(n.Drivers, "raw_exec") }, ""},
		{"driver attribute false", DriverChecker{Drivers: []string{"raw_exec"}},
			func(n *structs.Node) { delete(n.Drivers, "raw_exec"); n.Attributes["driver.raw_exec"] = "false" }, ReasonMissingDriver},
		{"driver missing", DriverChecker{Drivers: []string{"raw_exec", "docker"}}, func(*structs.Node) {}, ReasonMissingDriver},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			node := mock.Node()
			tc.change(node)
			ok, reason := tc.checker.Feasible(node)
			if ok != (tc.want == "") || reason != tc.want {
				t.Fatalf("got (%v, %q), want reason %q", ok, reason, tc.want)
			}
		})
	}
}

func TestNewCandidatesCounts(t *testing.T) {
	job := mock.Job()
	job.Datacenters = []string{"dc1", "dc2", "eu-*"}
	mk := func(dc, pool, status string) *structs.Node {
		n := mock.Node()
		n.Datacenter, n.NodePool, n.Status = dc, pool, status
		return n
	}
	nodes := []*structs.Node{
		mk("dc1", "default", structs.NodeStatusReady),
		mk("dc1", "default", structs.NodeStatusDown),
		mk("eu-west", "", structs.NodeStatusReady),
		mk("dc3", "default", structs.NodeStatusReady),
		mk("dc1", "gpu", structs.NodeStatusReady),
	}
	c := NewCandidates(job, nodes)
	if len(c.Nodes) != 2 {
		t.Fatalf("kept %d nodes, want 2", len(c.Nodes))
	}
	if c.InPool != 4 {
		t.Fatalf("InPool = %d, want 4", c.InPool)
	}
	want := map[string]int{"dc1": 1, "dc2": 0, "eu-west": 1}
	if !maps.Equal(c.AvailableByDC, want) {
		t.Fatalf("AvailableByDC = %v, want %v", c.AvailableByDC, want)
	}
}

func TestParsePortList(t *testing.T) {
	got := ParsePortList(" 22, 80,8000-8002,bad,9-1,70000")
	if want := []int{22, 80, 8000, 8001, 8002}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
