package client

import (
	"fmt"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/clienttest"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestClient_ReportsDeploymentHealth places allocations of a deployment
// and checks that the servers receive each one's health, through the
// allocation updates, and that an allocation outside a deployment gets
// none.
func TestClient_ReportsDeploymentHealth(t *testing.T) {
	t.Parallel()
	tc := newTestClient(t, newFakeServer(), nil)
	tc.waitReady(t)
	job := mock.Job()
	job.TaskGroups[0].RestartPolicy.Attempts = 0
	job.TaskGroups[0].Tasks[0].RestartPolicy.Attempts = 0
	job.TaskGroups[0].Update = &structs.UpdateStrategy{
		MaxParallel: 1, Stagger: time.Second, HealthCheck: structs.UpdateHealthCheckChecks,
		MinHealthyTime: 200 * time.Millisecond, HealthyDeadline: 30 * time.Second,
	}
	cases := []struct {
		name       string
		config     map[string]interface{}
		deployment string
		// want is "healthy", "unhealthy" or "" for no verdict.
		want string
	}{
		{"running task", map[string]interface{}{}, "d1", "healthy"},
		{"failing task", map[string]interface{}{"run_for": "20ms", "exit_code": 3}, "d1", "unhealthy"},
		{"outside a deployment", map[string]interface{}{}, "", ""},
	}
	allocs := make([]*structs.Allocation, len(cases))
	for i, c := range cases {
		j := job.Copy()
		allocs[i] = tc.serviceAlloc(j, i, c.config)
		allocs[i].DeploymentID = c.deployment
	}
	tc.server.upsertAllocs(allocs...)
	// Every allocation has settled once the failing one is failed and the
	// running ones have run past min_healthy_time.
	clienttest.WaitFor(t, waitTimeout, func() (bool, string) {
		for i, c := range cases {
			ds := tc.server.alloc(allocs[i].ID).DeploymentStatus
			if c.want != "" && !ds.HasHealth() {
				return false, fmt.Sprintf("%s: no health at the server yet", c.name)
			}
		}
		return true, ""
	})
	for i, c := range cases {
		ds := tc.server.alloc(allocs[i].ID).DeploymentStatus
		got := ""
		switch {
		case ds.IsHealthy():
			got = "healthy"
		case ds.IsUnhealthy():
			got = "unhealthy"
		}
		if got != c.want {
			t.Errorf("%s: server sees %q (%+v), want %q", c.name, got, ds, c.want)
		}
	}
	// The allocation outside a deployment ran as long as the healthy one
	// needed, and still has no verdict.
	if st := tc.server.alloc(allocs[2].ID).ClientStatus; st != structs.AllocClientStatusRunning {
		t.Fatalf("allocation outside a deployment is %q, want running", st)
	}
}
