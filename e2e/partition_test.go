package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// TestClusterPartition runs three servers as hosts of their own (network
// namespaces on a private bridge) and cuts one off, the leader or a
// follower. While cut off, the majority keeps accepting writes, the
// isolated server accepts none (a write there fails or times out and never
// shows up later) and its stale reads say it has no leader or lost contact;
// after healing it catches up with every write made meanwhile.
func TestClusterPartition(t *testing.T) {
	for _, tc := range []struct {
		name    string
		isolate string // "leader" or "follower"
	}{
		{"leader cut off", "leader"},
		{"follower cut off", "follower"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab := newNetLab(t, 3)
			c := startCluster(t, clusterSpec{servers: 3, lab: lab})
			leader, _ := c.waitLeader(30*time.Second, nil)
			if _, err := register(leader, batchJob("before", "nowhere", "/bin/true"), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			iso := leader
			if tc.isolate == "follower" {
				iso = c.servers[(indexOf(c, leader)+1)%3]
			}
			isoIdx := indexOf(c, iso)
			var majority []*clusterNode
			for _, s := range c.servers {
				if s != iso {
					majority = append(majority, s)
				}
			}

			lab.cut(isoIdx)
			cutAt := time.Now()
			newLeader := waitMajorityLeader(t, c, majority)
			t.Logf("%s cut off; %s leads the majority %s later", iso.name, newLeader.name, time.Since(cutAt))

			written := writeThroughMajority(t, majority, 5)
			// A refused write must never take effect. A write that timed out
			// has no known outcome: it may still be in flight when the
			// network heals, so it may or may not be applied.
			isoRes, isoErr := iso.do("PUT", "/v1/jobs", &api.JobRegisterRequest{Job: batchJob("isolated-write", "nowhere", "/bin/true")}, 10*time.Second)
			// An answer saying the outcome is unknown (the forward to the
			// leader timed out) is no refusal either.
			refused := isoErr == nil && isoRes.code != 200 && !strings.Contains(string(isoRes.body), "may or may not have been applied")
			switch {
			case isoErr == nil && isoRes.code == 200:
				t.Errorf("the isolated server %s acknowledged a write: %s", iso.name, isoRes.body)
			case refused:
				t.Logf("write to the isolated server refused: %d %s", isoRes.code, isoRes.body)
			default:
				t.Logf("write to the isolated server timed out: %v", isoErr)
			}
			waitFor(t, 20*time.Second, "the isolated server's stale read to admit it is cut off", func() (bool, string) {
				_, hdr, err := jobIDs(iso, true)
				if err != nil {
					return false, err.Error()
				}
				known := hdr.Get("X-Nomad-KnownLeader")
				contact, _ := strconv.Atoi(hdr.Get("X-Nomad-LastContact"))
				return known == "false" || time.Duration(contact)*time.Millisecond > time.Second,
					fmt.Sprintf("X-Nomad-KnownLeader %q, X-Nomad-LastContact %q", known, hdr.Get("X-Nomad-LastContact"))
			})

			lab.heal(isoIdx)
			waitFor(t, 60*time.Second, iso.name+" caught up after healing", func() (bool, string) {
				jobs, hdr, err := jobIDs(iso, true)
				if err != nil {
					return false, err.Error()
				}
				for _, id := range append(written, "before") {
					if _, ok := jobs[id]; !ok {
						return false, fmt.Sprintf("job %s missing (%d jobs, known leader %s)", id, len(jobs), hdr.Get("X-Nomad-KnownLeader"))
					}
				}
				return hdr.Get("X-Nomad-KnownLeader") == "true", "no known leader yet"
			})
			final, _ := c.waitLeader(30*time.Second, nil)
			jobs, _, err := jobIDs(final, false)
			if err != nil {
				t.Fatal(err)
			}
			want := len(written) + 1
			if _, ok := jobs["isolated-write"]; ok {
				if refused {
					t.Errorf("the write the isolated server refused was committed after healing")
				} else {
					t.Logf("the write that timed out on the isolated server was committed after healing")
				}
				want++
			}
			if got := len(jobs); got != want {
				t.Errorf("the healed cluster has %d jobs, want %d", got, want)
			}
		})
	}
}

func indexOf(c *cluster, n *clusterNode) int {
	for i, s := range c.servers {
		if s == n {
			return i
		}
	}
	return -1
}

// waitMajorityLeader waits until a server of the majority leads, as both
// majority servers agree (the isolated old leader may still believe it
// leads for a moment).
func waitMajorityLeader(t *testing.T, c *cluster, majority []*clusterNode) *clusterNode {
	t.Helper()
	var leader *clusterNode
	waitFor(t, 30*time.Second, "a leader among the majority", func() (bool, string) {
		var names []string
		for _, s := range majority {
			var addr string
			if _, err := s.getJSON("/v1/status/leader", &addr); err != nil {
				return false, err.Error()
			}
			names = append(names, addr)
		}
		l := c.serverByRPC(names[0])
		if l == nil || names[0] != names[1] || indexOf(c, l) < 0 || (l != majority[0] && l != majority[1]) {
			return false, fmt.Sprintf("majority names leaders %v", names)
		}
		leader = l
		return true, ""
	})
	return leader
}

// writeThroughMajority registers n jobs, alternating between the majority's
// servers, each retried until acknowledged; it returns their IDs.
func writeThroughMajority(t *testing.T, majority []*clusterNode, n int) []string {
	t.Helper()
	var ids []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("during-%d", i)
		s := majority[i%len(majority)]
		waitFor(t, 30*time.Second, "the majority to accept "+id, func() (bool, string) {
			if _, err := register(s, batchJob(id, "nowhere", "/bin/true"), 10*time.Second); err != nil {
				return false, err.Error()
			}
			return true, ""
		})
		ids = append(ids, id)
	}
	return ids
}
