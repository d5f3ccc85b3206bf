package command

import (
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestNodeStatus(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	nodeID := "node0000-0000-0000-0000-000000000000"
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/nodes": prefixList(t, []*api.NodeListStub{{ID: nodeID, Name: "n1", Datacenter: "dc1",
			NodePool: "default", SchedulingEligibility: "eligible", Status: "ready"}}),
		"GET /v1/node/" + nodeID: &api.Node{ID: nodeID, Name: "n1", Datacenter: "dc1", Status: "ready",
			HTTPAddr: "127.0.0.1:4646", Drivers: map[string]*api.DriverInfo{"raw_exec": {Detected: true, Healthy: true}},
			NodeResources: &api.NodeResources{Cpu: api.NodeCpuResources{CpuShares: 4000},
				Memory: api.NodeMemoryResources{MemoryMB: 8192}, Disk: api.NodeDiskResources{DiskMB: 1000}}},
		"GET /v1/node/" + nodeID + "/allocations": []*api.Allocation{testAlloc(now)},
	})
	cases := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"list", nil, []string{"ID Node Pool DC Name Class Drain Eligibility Status", "node0000 default dc1 n1 <none> false eligible ready"}},
		{"one node", []string{"node"}, []string{"ID = node0000", "Drivers = raw_exec", "HTTP Address = 127.0.0.1:4646",
			"4000 MHz 8192 MiB 1000 MiB", "abcd1234 node0000 web 3 run running 1m30s ago 30s ago"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := &NodeStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wants...)
		})
	}
}

func TestEvalStatus(t *testing.T) {
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/evaluations": prefixList(t, []*api.Evaluation{{ID: evalID}}),
		"GET /v1/evaluation/" + evalID: &api.Evaluation{ID: evalID, Status: "complete", Type: "service",
			TriggeredBy: "job-register", JobID: "web", Priority: 50,
			FailedTGAllocs: map[string]*api.AllocationMetric{"web": {NodesEvaluated: 1, CoalescedFailures: 2,
				NodesExhausted: 1, DimensionExhausted: map[string]int{"cpu": 1}}}},
	})
	ui := newUi()
	if code := (&EvalStatusCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, "eval"}); code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
	}
	assertContains(t, ui.OutputWriter.String(), "ID = eval1234", "Placement Failures = true",
		`Task Group "web" (failed to place 3 allocations):`, `* Dimension "cpu" exhausted on 1 nodes`)
}

func TestPrettyTimeDiff(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		ago  time.Duration
		want string
	}{
		{0, "0s ago"},
		{12 * time.Second, "12s ago"},
		{90 * time.Second, "1m30s ago"},
		{3*time.Hour + 5*time.Minute + 7*time.Second, "3h5m ago"},
		{50 * time.Hour, "2d2h ago"},
		{-5 * time.Second, "5s from now"},
	}
	for _, tc := range cases {
		if got := prettyTimeDiff(now.Add(-tc.ago), now); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.ago, got, tc.want)
		}
	}
}
