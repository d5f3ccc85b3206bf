package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// TestNodeDrainMigratesAllocations: `orch node drain -enable` on a node
// running half of a service job moves those allocations to the other
// client within the deadline, leaves the job at its count, and ends the
// drain with the node ineligible.
func TestNodeDrainMigratesAllocations(t *testing.T) {
	c := startCluster(t, clusterSpec{servers: 1, clients: 2})
	leader, _ := c.waitLeader(30*time.Second, nil)
	if _, err := register(leader, serviceJob("drained", 4), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	byNode := func() (map[string]int, string) {
		allocs, err := allocations(leader, "drained")
		if err != nil {
			return nil, err.Error()
		}
		out := map[string]int{}
		for _, a := range allocs {
			if a.ClientStatus == "running" {
				out[a.NodeName]++
			}
		}
		return out, describeAllocs(allocs)
	}
	victim, survivor := c.clients[0], c.clients[1]
	waitFor(t, 60*time.Second, "allocations running on both clients", func() (bool, string) {
		got, desc := byNode()
		return got[victim.name] > 0 && got[victim.name]+got[survivor.name] == 4, desc
	})

	var nodes []api.NodeListStub
	if _, err := leader.getJSON("/v1/nodes", &nodes); err != nil {
		t.Fatal(err)
	}
	nodeID := ""
	for _, n := range nodes {
		if n.Name == victim.name {
			nodeID = n.ID
		}
	}
	if nodeID == "" {
		t.Fatalf("node %s not listed: %+v", victim.name, nodes)
	}
	if res := leader.proc.run(t, "node", "drain", "-enable", "-yes", "-deadline", "1m", nodeID); res.Code != 0 {
		t.Fatalf("node drain exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}

	waitFor(t, 60*time.Second, "every allocation running on the other client", func() (bool, string) {
		got, desc := byNode()
		return got[victim.name] == 0 && got[survivor.name] == 4, desc
	})
	waitFor(t, 30*time.Second, "the drain to complete", func() (bool, string) {
		var n api.Node
		if _, err := leader.getJSON("/v1/node/"+nodeID, &n); err != nil {
			return false, err.Error()
		}
		return !n.Drain && n.SchedulingEligibility == "ineligible",
			fmt.Sprintf("drain %v, eligibility %s", n.Drain, n.SchedulingEligibility)
	})
}
