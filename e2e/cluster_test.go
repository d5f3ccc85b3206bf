package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// registrationLoop registers jobs load-000, load-001, ... through any live
// server until stop is closed or its deadline passes. A job whose
// registration failed is sent again under the same ID (registration is
// idempotent by ID) before the loop moves on, so every job it reports was
// acknowledged with a 200 and an evaluation ID.
type registrationLoop struct {
	c        *cluster
	dc       string
	stop     chan struct{}
	done     chan struct{}
	deadline time.Time

	mu     sync.Mutex
	acked  []*registerResult
	ids    []string
	errors int
}

func startRegistrationLoop(c *cluster, dc string, limit time.Duration) *registrationLoop {
	l := &registrationLoop{c: c, dc: dc, stop: make(chan struct{}), done: make(chan struct{}), deadline: time.Now().Add(limit)}
	go l.run()
	return l
}

func (l *registrationLoop) run() {
	defer close(l.done)
	for i := 0; time.Now().Before(l.deadline); i++ {
		id := fmt.Sprintf("load-%03d", i)
		for {
			select {
			case <-l.stop:
				return
			default:
			}
			if !time.Now().Before(l.deadline) {
				return
			}
			res, err := l.c.registerAnywhere(batchJob(id, l.dc, "/bin/sh", "-c", "exit 0"), i)
			if err == nil {
				l.mu.Lock()
				l.acked, l.ids = append(l.acked, res), append(l.ids, id)
				l.mu.Unlock()
				break
			}
			l.mu.Lock()
			l.errors++
			l.mu.Unlock()
			// Every server refused or is gone: give the election a moment
			// instead of spinning on refused connections.
			select {
			case <-l.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (l *registrationLoop) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// finish stops the loop and returns what was acknowledged.
func (l *registrationLoop) finish() ([]*registerResult, []string, int) {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked, l.ids, l.errors
}

// TestClusterLeaderKillUnderLoad: three servers and a client; a loop keeps
// registering batch jobs through any live server while the leader is
// killed with -9. A new leader must be elected, every acknowledged
// registration must be on it, and every acknowledged job must run exactly
// once (no evaluation lost or scheduled twice across the leader change).
// The killed server, restarted, rejoins and catches up.
func TestClusterLeaderKillUnderLoad(t *testing.T) {
	c := startCluster(t, clusterSpec{servers: 3, clients: 1})
	old, _ := c.waitLeader(30*time.Second, nil)

	loop := startRegistrationLoop(c, "dc1", 90*time.Second)
	waitFor(t, 30*time.Second, "registrations before the kill", func() (bool, string) {
		n := loop.count()
		return n >= 20, fmt.Sprintf("%d acknowledged", n)
	})
	before := loop.count()
	killed := time.Now()
	old.kill9()
	leader, _ := c.waitLeader(30*time.Second, old)
	failover := time.Since(killed)
	t.Logf("leader %s killed after %d registrations; %s leads %s later", old.name, before, leader.name, failover)

	waitFor(t, 30*time.Second, "registrations after the new leader", func() (bool, string) {
		n := loop.count()
		return n >= before+20, fmt.Sprintf("%d acknowledged, %d before the kill", n, before)
	})
	acked, ids, failures := loop.finish()
	t.Logf("%d registrations acknowledged, %d attempts failed around the kill", len(acked), failures)

	jobs, _, err := jobIDs(leader, false)
	if err != nil {
		t.Fatalf("listing jobs on the new leader: %v", err)
	}
	for i, id := range ids {
		stub, ok := jobs[id]
		switch {
		case !ok:
			t.Errorf("job %s was acknowledged by %s (eval %s, index %d) but is missing on the new leader",
				id, acked[i].via, acked[i].EvalID, acked[i].JobModifyIndex)
		case stub.JobModifyIndex < acked[i].JobModifyIndex:
			t.Errorf("job %s on the new leader has job modify index %d, older than the acknowledged %d",
				id, stub.JobModifyIndex, acked[i].JobModifyIndex)
		}
	}

	// Evaluations in the dead leader's broker must be restored by the new
	// one: every job ends with exactly one completed allocation.
	waitFor(t, 90*time.Second, "every acknowledged job ran once", func() (bool, string) {
		for _, id := range ids {
			allocs, err := allocations(leader, id)
			if err != nil {
				return false, err.Error()
			}
			if len(allocs) != 1 || allocs[0].ClientStatus != "complete" {
				return false, fmt.Sprintf("job %s: %s", id, describeAllocs(allocs))
			}
		}
		return true, ""
	})

	// The killed server, started again over its data dir, rejoins as a
	// voter and catches up with what was written while it was down.
	c.restart(old)
	waitFor(t, 30*time.Second, old.name+" caught up after its restart", func() (bool, string) {
		jobs, _, err := jobIDs(old, true)
		if err != nil {
			return false, err.Error()
		}
		for _, id := range ids {
			if _, ok := jobs[id]; !ok {
				return false, fmt.Sprintf("job %s missing of %d", id, len(ids))
			}
		}
		return true, ""
	})
	waitFor(t, 30*time.Second, "three voters in the raft configuration", func() (bool, string) {
		var cfg api.RaftConfiguration
		if _, err := leader.getJSON("/v1/operator/raft/configuration", &cfg); err != nil {
			return false, err.Error()
		}
		voters := 0
		for _, srv := range cfg.Servers {
			if srv.Voter {
				voters++
			}
		}
		return voters == 3 && len(cfg.Servers) == 3, fmt.Sprintf("%d servers, %d voters", len(cfg.Servers), voters)
	})
}

func describeAllocs(allocs []api.AllocationListStub) string {
	if len(allocs) == 0 {
		return "no allocations"
	}
	parts := make([]string, len(allocs))
	for i, a := range allocs {
		parts[i] = fmt.Sprintf("%s on %s %s/%s", a.ID[:8], a.NodeName, a.DesiredStatus, a.ClientStatus)
	}
	return strings.Join(parts, ", ")
}

// TestClusterLostClientReplaced: with two clients, the one running a
// job's allocations is killed with -9. Within the heartbeat TTL plus
// grace plus scheduling time its allocations are lost and replacements run
// on the other client.
func TestClusterLostClientReplaced(t *testing.T) {
	// Short heartbeats, set as an operator would, keep the test quick;
	// BenchmarkClusterLostClient measures the defaults.
	const minTTL, grace = 2 * time.Second, time.Second
	hb := writeFile(t, "heartbeat.hcl", fmt.Sprintf("server {\n  min_heartbeat_ttl = %q\n  heartbeat_grace = %q\n}\n", minTTL, grace))
	c := startCluster(t, clusterSpec{servers: 3, clients: 2, serverArgs: func(int) []string { return []string{"-config", hb} }})
	leader, _ := c.waitLeader(30*time.Second, nil)
	victim, survivor, took := runAndLoseClient(t, c, leader, "lost")
	t.Logf("allocations of %s running on %s %s after its kill -9", victim.name, survivor.name, took)
	// The servers' bound: a node is marked down at most its TTL plus the
	// grace after its last heartbeat. With two nodes the TTL is the
	// minimum plus a random stagger of up to the minimum again; a few
	// seconds more go to scheduling and to the task start elsewhere.
	maxTTL := 2 * minTTL
	if limit := maxTTL + grace + 10*time.Second; took > limit {
		t.Errorf("replacement took %s, more than the heartbeat TTL plus grace plus scheduling time (%s)", took, limit)
	}
}

// runAndLoseClient runs a two-allocation service job, kills the client
// that runs most of it and waits until the job again runs two allocations,
// all on the other client, the victim's marked lost. It returns the two
// clients and the time from the kill to the replacements running.
func runAndLoseClient(t testing.TB, c *cluster, leader *clusterNode, jobID string) (victim, survivor *clusterNode, took time.Duration) {
	t.Helper()
	if _, err := register(leader, serviceJob(jobID, 2), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	byNode := map[string]int{}
	waitFor(t, 60*time.Second, "both allocations running", func() (bool, string) {
		allocs, err := allocations(leader, jobID)
		if err != nil {
			return false, err.Error()
		}
		byNode = map[string]int{}
		for _, a := range allocs {
			if a.ClientStatus == "running" {
				byNode[a.NodeName]++
			}
		}
		return len(allocs) == 2 && byNode[c.clients[0].name]+byNode[c.clients[1].name] == 2, describeAllocs(allocs)
	})
	victim, survivor = c.clients[0], c.clients[1]
	if byNode[survivor.name] > byNode[victim.name] {
		victim, survivor = survivor, victim
	}
	start := time.Now()
	victim.kill9()
	var down time.Duration
	waitFor(t, 90*time.Second, "the allocations replaced on "+survivor.name, func() (bool, string) {
		if down == 0 && nodeStatus(leader, victim.name) == "down" {
			down = time.Since(start)
			t.Logf("%s marked down %s after its kill -9", victim.name, down)
		}
		allocs, err := allocations(leader, jobID)
		if err != nil {
			return false, err.Error()
		}
		running, lost := 0, 0
		for _, a := range allocs {
			switch {
			case a.ClientStatus == "running" && a.NodeName == survivor.name:
				running++
			case a.NodeName == victim.name && a.ClientStatus == "lost":
				lost++
			}
		}
		return running == 2 && lost == byNode[victim.name], describeAllocs(allocs)
	})
	return victim, survivor, time.Since(start)
}

// nodeStatus is the status of the named node as the server sees it, or
// "" when it cannot tell.
func nodeStatus(n *clusterNode, name string) string {
	var nodes []api.NodeListStub
	if _, err := n.getJSON("/v1/nodes", &nodes); err != nil {
		return ""
	}
	for _, node := range nodes {
		if node.Name == name {
			return node.Status
		}
	}
	return ""
}

// clusterState is what a snapshot must carry over: jobs, allocations and
// evaluations with their indexes, and each table's index.
type clusterState struct {
	Jobs       []string
	Allocs     []string
	Evals      []string
	TableIndex map[string]string
	NodeCount  int
}

// readState reads a server's state; stale reads it from the server's own
// copy, so that followers can be compared too.
func readState(n *clusterNode, stale bool) (*clusterState, error) {
	q := ""
	if stale {
		q = "?stale"
	}
	st := &clusterState{TableIndex: map[string]string{}}
	var jobs []api.JobListStub
	hdr, err := n.getJSON("/v1/jobs"+q, &jobs)
	if err != nil {
		return nil, err
	}
	st.TableIndex["jobs"] = hdr.Get("X-Nomad-Index")
	for _, j := range jobs {
		st.Jobs = append(st.Jobs, fmt.Sprintf("%s status=%s create=%d modify=%d job_modify=%d", j.ID, j.Status, j.CreateIndex, j.ModifyIndex, j.JobModifyIndex))
	}
	var allocs []api.AllocationListStub
	if hdr, err = n.getJSON("/v1/allocations"+q, &allocs); err != nil {
		return nil, err
	}
	st.TableIndex["allocs"] = hdr.Get("X-Nomad-Index")
	for _, a := range allocs {
		st.Allocs = append(st.Allocs, fmt.Sprintf("%s job=%s node=%s %s/%s create=%d modify=%d", a.ID, a.JobID, a.NodeID, a.DesiredStatus, a.ClientStatus, a.CreateIndex, a.ModifyIndex))
	}
	var evals []api.Evaluation
	if hdr, err = n.getJSON("/v1/evaluations"+q, &evals); err != nil {
		return nil, err
	}
	st.TableIndex["evals"] = hdr.Get("X-Nomad-Index")
	for _, e := range evals {
		st.Evals = append(st.Evals, fmt.Sprintf("%s job=%s status=%s create=%d modify=%d", e.ID, e.JobID, e.Status, e.CreateIndex, e.ModifyIndex))
	}
	var nodes []api.NodeListStub
	if hdr, err = n.getJSON("/v1/nodes"+q, &nodes); err != nil {
		return nil, err
	}
	st.TableIndex["nodes"] = hdr.Get("X-Nomad-Index")
	st.NodeCount = len(nodes)
	sort.Strings(st.Jobs)
	sort.Strings(st.Allocs)
	sort.Strings(st.Evals)
	return st, nil
}

// diffState describes how got differs from want, or "".
func diffState(want, got *clusterState) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	var b strings.Builder
	if !reflect.DeepEqual(want.TableIndex, got.TableIndex) {
		fmt.Fprintf(&b, "table indexes %v, want %v; ", got.TableIndex, want.TableIndex)
	}
	for _, l := range []struct {
		name      string
		want, got []string
	}{{"jobs", want.Jobs, got.Jobs}, {"allocations", want.Allocs, got.Allocs}, {"evaluations", want.Evals, got.Evals}} {
		if !reflect.DeepEqual(l.want, l.got) {
			fmt.Fprintf(&b, "%s:\n  got  %s\n  want %s\n", l.name, strings.Join(l.got, "\n       "), strings.Join(l.want, "\n       "))
		}
	}
	if want.NodeCount != got.NodeCount {
		fmt.Fprintf(&b, "%d nodes, want %d", got.NodeCount, want.NodeCount)
	}
	return b.String()
}

// TestClusterSnapshotSaveRestore: `orch operator snapshot save` on a
// cluster running jobs, `orch operator snapshot restore` on a fresh
// cluster; every server of the fresh cluster then holds exactly the saved
// jobs, allocations, evaluations and table indexes.
func TestClusterSnapshotSaveRestore(t *testing.T) {
	src := startCluster(t, clusterSpec{servers: 3, clients: 1})
	leader, _ := src.waitLeader(30*time.Second, nil)
	for _, job := range []*api.Job{serviceJob("snap-web", 2), batchJob("snap-batch", "dc1", "/bin/sh", "-c", "exit 0"), batchJob("snap-blocked", "nowhere", "/bin/true")} {
		if _, err := register(leader, job, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 60*time.Second, "the jobs settled", func() (bool, string) {
		web, err1 := allocations(leader, "snap-web")
		batch, err2 := allocations(leader, "snap-batch")
		if err1 != nil || err2 != nil {
			return false, fmt.Sprint(err1, err2)
		}
		c := countStubs(web)
		return c["running"] == 2 && len(batch) == 1 && batch[0].ClientStatus == "complete",
			fmt.Sprintf("web: %s; batch: %s", describeAllocs(web), describeAllocs(batch))
	})

	file := filepath.Join(t.TempDir(), "cluster.snap")
	var saved *clusterState
	// Clients may still report a late update; a save counts only if the
	// state read before and after it is the same.
	waitFor(t, 30*time.Second, "a snapshot of a quiet cluster", func() (bool, string) {
		before, err := readState(leader, false)
		if err != nil {
			return false, err.Error()
		}
		if res := leader.proc.run(t, "operator", "snapshot", "save", file); res.Code != 0 {
			t.Fatalf("operator snapshot save exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
		}
		after, err := readState(leader, false)
		if err != nil {
			return false, err.Error()
		}
		saved = before
		return diffState(before, after) == "", diffState(before, after)
	})
	t.Logf("saved %d jobs, %d allocations, %d evaluations, %d nodes; table indexes %v",
		len(saved.Jobs), len(saved.Allocs), len(saved.Evals), saved.NodeCount, saved.TableIndex)
	if fi, err := os.Stat(file); err != nil || fi.Size() == 0 {
		t.Fatalf("snapshot file %s: %v (empty: %v)", file, err, fi != nil && fi.Size() == 0)
	}

	dst := startCluster(t, clusterSpec{servers: 3})
	dstLeader, _ := dst.waitLeader(30*time.Second, nil)
	if res := dstLeader.proc.run(t, "operator", "snapshot", "restore", file); res.Code != 0 {
		t.Fatalf("operator snapshot restore exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, s := range dst.servers {
		waitFor(t, 30*time.Second, s.name+" holds the saved state", func() (bool, string) {
			got, err := readState(s, true)
			if err != nil {
				return false, err.Error()
			}
			d := diffState(saved, got)
			return d == "", d
		})
	}
}

func countStubs(allocs []api.AllocationListStub) map[string]int {
	out := map[string]int{}
	for _, a := range allocs {
		out[a.ClientStatus]++
	}
	return out
}
