package e2e

import (
	"encoding/base64"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// gossipKey is a 32-byte gossip encryption key as `-encrypt` takes it.
func gossipKey(fill byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune(fill)), 32)))
}

// outsider prepares a server that is not part of c but tries to join it.
func outsider(c *cluster, name string, args ...string) *clusterNode {
	c.t.Helper()
	n := &clusterNode{t: c.t, name: name, ip: nextLoopbackIP(), http: c.servers[0].http}
	p := freePortsOn(c.t, n.ip, 3)
	n.ports = [3]int{p[0], p[1], p[2]}
	n.dataDir = filepath.Join(c.root, name)
	n.logPath = filepath.Join(c.root, name+".log")
	n.args = append([]string{"-server", "-bootstrap-expect", "3",
		"-data-dir", n.dataDir, "-bind", n.ip, "-node", name,
		"-http-port", strconv.Itoa(p[0]), "-rpc-port", strconv.Itoa(p[1]), "-serf-port", strconv.Itoa(p[2])},
		args...)
	for _, s := range c.servers {
		n.args = append(n.args, "-retry-join", s.serfAddr())
	}
	return n
}

// aliveMembers lists the names of the gossip members a server sees alive.
func aliveMembers(n *clusterNode) ([]string, error) {
	var m api.ServerMembers
	if _, err := n.getJSON("/v1/agent/members", &m); err != nil {
		return nil, err
	}
	var names []string
	for _, mem := range m.Members {
		if mem.Status == "alive" {
			names = append(names, mem.Name)
		}
	}
	return names, nil
}

// logLine finds the first line matching re in any of the nodes' logs,
// past the offsets in since (from logOffsets), so that a line an earlier
// step caused is not taken for one this step caused.
func logLine(re *regexp.Regexp, since map[*clusterNode]int, nodes ...*clusterNode) (string, bool) {
	for _, n := range nodes {
		logs := n.logs()
		if off := since[n]; off <= len(logs) {
			logs = logs[off:]
		}
		for _, line := range strings.Split(logs, "\n") {
			if re.MatchString(line) {
				return n.name + ": " + line, true
			}
		}
	}
	return "", false
}

// logOffsets records how long each node's log is now.
func logOffsets(nodes ...*clusterNode) map[*clusterNode]int {
	out := map[*clusterNode]int{}
	for _, n := range nodes {
		out[n] = len(n.logs())
	}
	return out
}

// holdFor checks cond every 100ms for d and fails the test the first time
// it does not hold: for what must stay true, not for waiting on a change.
func holdFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if ok, msg := cond(); !ok {
			t.Fatalf("%s stopped holding: %s", what, msg)
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(100 * time.Millisecond) // sampling interval of an invariant
	}
}

// TestClusterRefusesBadJoins: servers of another region, with another
// gossip key or with none cannot join a cluster whose servers share a
// gossip key: the cluster's servers log why, and every one of them still
// sees exactly its three members.
func TestClusterRefusesBadJoins(t *testing.T) {
	key := gossipKey('k')
	c := startCluster(t, clusterSpec{servers: 3, serverArgs: func(int) []string { return []string{"-encrypt", key} }})
	waitFor(t, 30*time.Second, "three alive members", func() (bool, string) {
		names, err := aliveMembers(c.servers[0])
		return err == nil && len(names) == 3, fmt.Sprint(names, err)
	})

	for _, tc := range []struct {
		name string
		args []string
		// seen matches the log line, on the cluster's servers or the
		// outsider's, that says why the join was refused.
		seen *regexp.Regexp
	}{
		{"other region", []string{"-region", "europe-west", "-encrypt", key}, regexp.MustCompile(`(?i)region.*europe-west|europe-west.*region`)},
		{"other gossip key", []string{"-encrypt", gossipKey('x')}, regexp.MustCompile(`(?i)\[(WARN|ERROR)\].*(decrypt|encrypt|gossip key|keyring)`)},
		{"no gossip key", nil, regexp.MustCompile(`(?i)\[(WARN|ERROR)\].*(decrypt|encrypt|gossip key|keyring)`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := outsider(c, "outsider-"+strings.ReplaceAll(tc.name, " ", "-"), tc.args...)
			out.t = t
			watched := c.servers
			if tc.name != "other region" {
				// A key mismatch is only seen as undecryptable packets; either
				// side may be the one to say so.
				watched = append(append([]*clusterNode{}, c.servers...), out)
			}
			since := logOffsets(watched...)
			out.start()
			waitFor(t, 30*time.Second, "a log line refusing "+out.name, func() (bool, string) {
				if !out.alive() {
					t.Fatalf("%s exited instead of being refused:\n%s", out.name, tail(out.logs(), 40))
				}
				line, ok := logLine(tc.seen, since, watched...)
				if ok {
					t.Logf("refusal logged: %s", line)
				}
				return ok, "no such line yet"
			})
			// The outsider keeps retrying its join: membership must stay
			// the three servers while it does.
			holdFor(t, 3*time.Second, "membership of exactly the three servers", func() (bool, string) {
				for _, s := range c.servers {
					names, err := aliveMembers(s)
					if err != nil {
						return false, err.Error()
					}
					if len(names) != 3 || strings.Contains(strings.Join(names, ","), out.name) {
						return false, fmt.Sprintf("%s sees alive members %v, want only the three servers", s.name, names)
					}
				}
				return true, ""
			})
			out.stopProc(out.proc)
		})
	}
}

// TestClusterBootstrapExpectMismatch: servers started with bootstrap-expect
// values that disagree report it in their logs.
func TestClusterBootstrapExpectMismatch(t *testing.T) {
	expects := []int{3, 3, 5}
	c := startCluster(t, clusterSpec{servers: 3, noWait: true, bootstrapExpect: func(i int) int { return expects[i] }})
	re := regexp.MustCompile(`(?i)\[(WARN|ERROR)\].*expect`)
	waitFor(t, 30*time.Second, "a log line reporting the disagreeing bootstrap-expect values", func() (bool, string) {
		for _, s := range c.servers {
			if !s.alive() {
				t.Fatalf("%s exited:\n%s", s.name, tail(s.logs(), 40))
			}
		}
		line, ok := logLine(re, nil, c.servers...)
		if ok {
			t.Logf("reported: %s", line)
		}
		return ok, "no such line yet"
	})
}

// TestClientWithoutServersKeepsRetrying: a client whose only server does
// not answer stays up, is not healthy, and logs its retries at a level an
// operator sees by default.
func TestClientWithoutServersKeepsRetrying(t *testing.T) {
	c := &cluster{t: t, root: t.TempDir()}
	t.Cleanup(c.killLeftovers)
	// A port that was free a moment ago: nothing answers there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	n := c.clientNode(dead)
	n.start()
	// Visible at the default log level: an operator must see it.
	re := regexp.MustCompile(`\[(INFO|WARN|ERROR)\].*(?i:retr(y|ies|ying)|backoff)`)
	// Retries spread over a few seconds show that the client goes on
	// trying after its first failures instead of giving up or exiting.
	var firstLine string
	waitFor(t, 30*time.Second, "retries logged over 3s", func() (bool, string) {
		if !n.alive() {
			t.Fatalf("the client exited:\n%s", tail(n.logs(), 40))
		}
		var first, last time.Time
		count := 0
		for _, line := range strings.Split(n.logs(), "\n") {
			if !re.MatchString(line) {
				continue
			}
			at, err := time.Parse(time.RFC3339Nano, strings.Fields(line)[0])
			if err != nil {
				continue
			}
			if count == 0 {
				first, firstLine = at, line
			}
			last = at
			count++
		}
		return count >= 2 && last.Sub(first) >= 3*time.Second, fmt.Sprintf("%d retry lines over %s", count, last.Sub(first))
	})
	t.Logf("first retry logged: %s", firstLine)
	res, err := n.do("GET", "/v1/agent/health", nil, 5*time.Second)
	if err != nil {
		t.Fatalf("the client does not answer HTTP while retrying: %v", err)
	}
	if res.code == 200 {
		t.Errorf("the client reports healthy with no reachable server: %s", res.body)
	}
	if !n.alive() {
		t.Fatalf("the client exited:\n%s", tail(n.logs(), 40))
	}
}
