package nomadlike_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeClient plays the client of one node for a server test: it reports
// allocations running and, when asked, their health.
type fakeClient struct {
	s    *nomadlike.Server
	node *structs.Node
}

func newFakeClient(t *testing.T, s *nomadlike.Server) *fakeClient {
	t.Helper()
	node := mock.Node()
	var nr structs.NodeUpdateResponse
	if err := s.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: node}, &nr); err != nil {
		t.Fatal(err)
	}
	return &fakeClient{s: s, node: node}
}

func (c *fakeClient) report(t *testing.T, a *structs.Allocation, healthy *bool) {
	t.Helper()
	up := &structs.Allocation{ID: a.ID, NodeID: c.node.ID, JobID: a.JobID, TaskGroup: a.TaskGroup,
		ClientStatus: structs.AllocClientStatusRunning}
	if healthy != nil {
		up.DeploymentStatus = &structs.AllocDeploymentStatus{Healthy: healthy, Timestamp: time.Now()}
	}
	var resp structs.GenericResponse
	if err := c.s.RPC(structs.NodeUpdateAllocRPC, &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{up}}, &resp); err != nil {
		t.Fatal(err)
	}
}

// live returns the job's allocations the servers want running.
func live(t *testing.T, s *nomadlike.Server, job *structs.Job) []*structs.Allocation {
	t.Helper()
	allocs, err := s.State().AllocsByJob(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []*structs.Allocation
	for _, a := range allocs {
		if a.DesiredStatus == structs.AllocDesiredStatusRun && !a.ClientTerminalStatus() {
			out = append(out, a)
		}
	}
	return out
}

// TestDeploymentWatcher_RollingUpdate drives a count-3 max_parallel-1
// rollout through the real scheduler, plan applier and watcher, the
// test playing the client: never more than one allocation is missing,
// each batch follows the previous one's health, and the deployment ends
// successful with version 1 marked stable.
func TestDeploymentWatcher_RollingUpdate(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	c := newFakeClient(t, s)
	job := mock.Job()
	job.TaskGroups[0].Count = 3
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.MaxParallel = 1
	registerJob(t, s, job)
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		if n := len(live(t, s, job)); n != 3 {
			return fmt.Errorf("%d allocations of v0, want 3", n)
		}
		return nil
	})
	for _, a := range live(t, s, job) {
		c.report(t, a, nil)
	}
	v1 := job.Copy()
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"2000"}
	registerJob(t, s, v1)

	healthy := true
	reported := make(map[string]bool)
	nomadtest.WaitFor(t, 30*time.Second, func() error {
		allocs := live(t, s, job)
		if len(allocs) < 2 {
			t.Fatalf("only %d allocations running: max_parallel 1 allows one missing", len(allocs))
		}
		pending, done := 0, 0
		for _, a := range allocs {
			if a.Job.Version != 1 {
				continue
			}
			if a.DeploymentID == "" {
				t.Fatalf("v1 allocation %s outside the deployment", a.ID)
			}
			if !reported[a.ID] {
				pending++
				c.report(t, a, &healthy)
				reported[a.ID] = true
			}
			done++
		}
		if pending > 1 {
			t.Fatalf("%d new allocations placed at once, want at most max_parallel 1", pending)
		}
		d, err := s.State().LatestDeploymentByJobID(nil, job.Namespace, job.ID)
		if err != nil || d == nil {
			return fmt.Errorf("no deployment yet (%v)", err)
		}
		if done != 3 || d.Status != structs.DeploymentStatusSuccessful || len(allocs) != 3 {
			return fmt.Errorf("%d of 3 on v1, deployment %s (%s), %d live", done, d.Status, d.StatusDescription, len(allocs))
		}
		return nil
	})
	stored, err := s.State().JobByIDAndVersion(nil, job.Namespace, job.ID, 1)
	if err != nil || stored == nil || !stored.Stable {
		t.Fatalf("job version 1 should be stable after its deployment succeeded: %+v %v", stored, err)
	}
}

// startJob registers job and reports its allocations running, with health
// when healthy is set, once count of them are placed.
func startJob(t *testing.T, s *nomadlike.Server, c *fakeClient, job *structs.Job, count int, healthy *bool) {
	t.Helper()
	registerJob(t, s, job)
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		if n := len(live(t, s, job)); n != count {
			return fmt.Errorf("%d allocations, want %d", n, count)
		}
		return nil
	})
	for _, a := range live(t, s, job) {
		c.report(t, a, healthy)
	}
}

func latestDeployment(t *testing.T, s *nomadlike.Server, job *structs.Job) *structs.Deployment {
	t.Helper()
	d, err := s.State().LatestDeploymentByJobID(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDeploymentWatcher_AutoRevert: with progress_deadline = 0 (the
// fail-at-once path) the first v1 allocation reported unhealthy fails the
// deployment, and auto_revert registers v0's spec again as v2.
func TestDeploymentWatcher_AutoRevert(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	c := newFakeClient(t, s)
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.AutoRevert = true
	job.TaskGroups[0].Update.ProgressDeadline = 0
	startJob(t, s, c, job, 2, nil)
	var sr structs.JobStabilityResponse
	if err := s.RPC(structs.JobStableRPC, &structs.JobStabilityRequest{JobID: job.ID, JobVersion: 0, Stable: true}, &sr); err != nil {
		t.Fatal(err)
	}
	v1 := job.Copy()
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"broken"}
	registerJob(t, s, v1)
	unhealthy := false
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		for _, a := range live(t, s, job) {
			if a.Job.Version == 1 {
				c.report(t, a, &unhealthy)
				return nil
			}
		}
		return fmt.Errorf("no v1 allocation yet")
	})
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
		if err != nil {
			return err
		}
		if stored.Version != 2 || stored.TaskGroups[0].Tasks[0].Config["args"].([]interface{})[0] != "1000" {
			return fmt.Errorf("job at version %d, want 2 with v0's args", stored.Version)
		}
		return nil
	})
	var failed *structs.Deployment
	ds, err := s.State().DeploymentsByJobID(nil, job.Namespace, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.JobVersion == 1 {
			failed = d
		}
	}
	want := structs.DeploymentStatusDescriptionRollback(structs.DeploymentStatusDescriptionFailedAllocations, 0)
	if failed == nil || failed.Status != structs.DeploymentStatusFailed || failed.StatusDescription != want {
		t.Fatalf("v1 deployment %+v, want failed with %q", failed, want)
	}
}

// TestDeploymentWatcher_UnhealthyReplaced: with a progress deadline and
// reschedule attempts left, a v1 allocation reported unhealthy does not
// fail the deployment: the watcher marks it, the scheduler replaces it
// after the policy's delay with a v1 allocation of the same name in the
// same deployment and stops it, and once the replacement and the rest
// are healthy the deployment succeeds.
func TestDeploymentWatcher_UnhealthyReplaced(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	c := newFakeClient(t, s)
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.HealthyDeadline = 30 * time.Second
	job.TaskGroups[0].Update.ProgressDeadline = time.Minute
	// 5s is the shortest delay Validate allows.
	job.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{
		Attempts: 1, Interval: time.Hour, Delay: 5 * time.Second, DelayFunction: structs.RescheduleDelayConstant,
	}
	startJob(t, s, c, job, 2, nil)
	v1 := job.Copy()
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"2000"}
	registerJob(t, s, v1)

	healthy, unhealthy := true, false
	var bad *structs.Allocation
	nomadtest.WaitFor(t, 20*time.Second, func() error {
		for _, a := range live(t, s, job) {
			if a.Job.Version != 1 || a.DeploymentStatus.HasHealth() {
				continue
			}
			if bad == nil {
				bad = a
				c.report(t, a, &unhealthy)
				continue
			}
			c.report(t, a, &healthy)
		}
		d := latestDeployment(t, s, job)
		switch {
		case d == nil || d.JobVersion != 1:
			return fmt.Errorf("no v1 deployment yet")
		case d.Status == structs.DeploymentStatusFailed:
			t.Fatalf("deployment failed (%s): the unhealthy allocation should have been replaced", d.StatusDescription)
		case d.Status != structs.DeploymentStatusSuccessful:
			return fmt.Errorf("deployment %s (%s)", d.Status, d.StatusDescription)
		}
		return nil
	})
	stopped, err := s.State().AllocByID(nil, bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !stopped.DesiredTransition.ShouldReschedule() || stopped.DesiredStatus != structs.AllocDesiredStatusStop || stopped.NextAllocation == "" {
		t.Fatalf("unhealthy allocation: reschedule %v, desired %s, next %q; want marked, stopped and replaced",
			stopped.DesiredTransition.ShouldReschedule(), stopped.DesiredStatus, stopped.NextAllocation)
	}
	repl, err := s.State().AllocByID(nil, stopped.NextAllocation)
	if err != nil || repl == nil {
		t.Fatalf("replacement %s: %v", stopped.NextAllocation, err)
	}
	if repl.Name != bad.Name || repl.Job.Version != 1 || repl.DeploymentID != bad.DeploymentID || repl.PreviousAllocation != bad.ID {
		t.Fatalf("replacement %s of v%d in deployment %s after %s, want %s of v1 in %s after %s",
			repl.Name, repl.Job.Version, repl.DeploymentID, repl.PreviousAllocation, bad.Name, bad.DeploymentID, bad.ID)
	}
	if tr := repl.RescheduleTracker; tr == nil || len(tr.Events) != 1 || tr.Events[0].PrevAllocID != bad.ID || tr.Events[0].Delay != 5*time.Second {
		t.Fatalf("replacement tracker %+v, want one event for %s with the policy's 5s delay", tr, bad.ID)
	}
	if waited := time.Unix(0, repl.CreateTime).Sub(stopped.DeploymentStatus.Timestamp); waited < 5*time.Second {
		t.Fatalf("replacement created %v after the allocation turned unhealthy, want the 5s delay", waited)
	}
	if n := len(live(t, s, job)); n != 2 {
		t.Fatalf("%d live allocations after the deployment, want 2", n)
	}
}

// TestDeploymentWatcher_Canary: canary = 1 places one v1 allocation beside
// the old ones and nothing more until promotion; after it the rest roll.
func TestDeploymentWatcher_Canary(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	c := newFakeClient(t, s)
	job := mock.Job()
	job.TaskGroups[0].Count = 3
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.Canary = 1
	startJob(t, s, c, job, 3, nil)
	v1 := job.Copy()
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"2000"}
	registerJob(t, s, v1)
	healthy := true
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		d := latestDeployment(t, s, job)
		if d == nil || len(d.TaskGroups["web"].PlacedCanaries) != 1 {
			return fmt.Errorf("no canary yet: %+v", d)
		}
		for _, a := range live(t, s, job) {
			if a.Job.Version == 1 && !a.DeploymentStatus.HasHealth() {
				c.report(t, a, &healthy)
			}
		}
		if n := len(live(t, s, job)); n != 4 {
			return fmt.Errorf("%d live, want 3 old and the canary", n)
		}
		if d = latestDeployment(t, s, job); d.TaskGroups["web"].HealthyAllocs != 1 {
			return fmt.Errorf("canary not healthy yet")
		}
		return nil
	})
	d := latestDeployment(t, s, job)
	if d.Status != structs.DeploymentStatusRunning || !d.RequiresPromotion() {
		t.Fatalf("deployment %s (%s) should wait for promotion", d.Status, d.StatusDescription)
	}
	var pr structs.DeploymentUpdateResponse
	if err := s.RPC(structs.DeploymentPromoteRPC, &structs.DeploymentPromoteRequest{DeploymentID: d.ID, All: true}, &pr); err != nil {
		t.Fatal(err)
	}
	nomadtest.WaitFor(t, 20*time.Second, func() error {
		allocs := live(t, s, job)
		if len(allocs) < 2 {
			t.Fatalf("%d live during the roll, want at least 2", len(allocs))
		}
		for _, a := range allocs {
			if a.Job.Version == 1 && !a.DeploymentStatus.HasHealth() {
				c.report(t, a, &healthy)
			}
		}
		d := latestDeployment(t, s, job)
		if d.Status != structs.DeploymentStatusSuccessful || len(allocs) != 3 {
			return fmt.Errorf("deployment %s, %d live", d.Status, len(allocs))
		}
		for _, a := range allocs {
			if a.Job.Version != 1 {
				return fmt.Errorf("allocation %s still on v%d", a.ID, a.Job.Version)
			}
		}
		return nil
	})
}

// TestDeploymentWatcher_LeaderChange: the leader is shut down in the
// middle of a rollout; the new leader's watcher picks the deployment up
// from state and finishes it.
func TestDeploymentWatcher_LeaderChange(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-server cluster")
	}
	t.Parallel()
	servers := nomadtest.TestCluster(t, 3, nil)
	leader := nomadtest.WaitForCluster(t, servers)
	c := newFakeClient(t, leader)
	job := mock.Job()
	job.TaskGroups[0].Count = 3
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.MaxParallel = 1
	startJob(t, leader, c, job, 3, nil)
	v1 := job.Copy()
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"2000"}
	registerJob(t, leader, v1)
	healthy := true
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		for _, a := range live(t, leader, job) {
			if a.Job.Version == 1 {
				c.report(t, a, &healthy)
				return nil
			}
		}
		return fmt.Errorf("no v1 allocation yet")
	})
	if err := leader.Shutdown(); err != nil {
		t.Fatal(err)
	}
	var rest []*nomadlike.Server
	for _, s := range servers {
		if s != leader {
			rest = append(rest, s)
		}
	}
	var next *nomadlike.Server
	nomadtest.WaitFor(t, 20*time.Second, func() error {
		for _, s := range rest {
			if s.IsLeader() {
				next = s
				return nil
			}
		}
		return fmt.Errorf("no new leader yet")
	})
	c.s = next
	nomadtest.WaitFor(t, 30*time.Second, func() error {
		allocs := live(t, next, job)
		for _, a := range allocs {
			if a.Job.Version == 1 && !a.DeploymentStatus.HasHealth() {
				c.report(t, a, &healthy)
			}
		}
		d := latestDeployment(t, next, job)
		if d == nil || d.Status != structs.DeploymentStatusSuccessful || len(allocs) != 3 {
			return fmt.Errorf("deployment %+v, %d live", d, len(allocs))
		}
		return nil
	})
}

// TestDeploymentWatcher_Surge: with max_surge 1 and max_parallel 0 a
// count-3 group never has fewer than 3 healthy allocations while it
// rolls, and never more than 4 running.
func TestDeploymentWatcher_Surge(t *testing.T) {
	t.Parallel()
	s := nomadtest.TestServer(t, nil)
	c := newFakeClient(t, s)
	job := mock.Job()
	job.TaskGroups[0].Count = 3
	job.TaskGroups[0].Update = mock.UpdateStrategy()
	job.TaskGroups[0].Update.MaxParallel = 0
	job.TaskGroups[0].Update.MaxSurge = 1
	startJob(t, s, c, job, 3, nil)
	v1 := job.Copy()
	v1.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"2000"}
	registerJob(t, s, v1)
	healthy := true
	nomadtest.WaitFor(t, 30*time.Second, func() error {
		allocs := live(t, s, job)
		judged := 0
		for _, a := range allocs {
			if a.Job.Version == 0 || a.DeploymentStatus.IsHealthy() {
				judged++
			}
		}
		if judged < 3 || len(allocs) > 4 {
			t.Fatalf("%d healthy of %d live: surge must keep 3 healthy and at most 4 running", judged, len(allocs))
		}
		for _, a := range allocs {
			if a.Job.Version == 1 && !a.DeploymentStatus.HasHealth() {
				c.report(t, a, &healthy)
			}
		}
		d := latestDeployment(t, s, job)
		if d == nil || d.Status != structs.DeploymentStatusSuccessful || len(allocs) != 3 {
			return fmt.Errorf("deployment %+v, %d live", d, len(allocs))
		}
		return nil
	})
}
