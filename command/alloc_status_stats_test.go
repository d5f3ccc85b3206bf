package command

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/client"
	"github.com/orch-dev/orch/command/agent"
)

// The agent finds stats on its client by type assertion; this keeps the
// real client from silently losing the method.
var _ agent.AllocStatsReader = (*client.Client)(nil)

func TestAllocStatus_Stats(t *testing.T) {
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	alloc := testAlloc(now)
	alloc.AllocatedResources = &api.AllocatedResources{Tasks: map[string]*api.AllocatedTaskResources{
		"server": {Cpu: api.AllocatedCpuResources{CpuShares: 1000}, Memory: api.AllocatedMemoryResources{MemoryMB: 256}},
	}}
	usage := &api.AllocResourceUsage{Tasks: map[string]*api.TaskResourceUsage{"server": {ResourceUsage: &api.ResourceUsage{
		MemoryStats: &api.MemoryStats{RSS: 12 << 20, Cache: 1536 << 10, Usage: 13<<20 + 512<<10, Measured: []string{"RSS", "Cache", "Swap", "Usage"}},
		CpuStats:    &api.CpuStats{Percent: 25, TotalTicks: 500, UserMode: 20, SystemMode: 5, Measured: []string{"Percent", "Total Ticks", "User Mode", "System Mode"}},
	}}}}
	cases := []struct {
		name      string
		args      []string
		statsCode int // 0 serves usage
		wants     []string
		warn      string
		noStats   bool
	}{
		{name: "with -stats", args: []string{"-stats", allocID}, wants: []string{
			`Task "server" is "running"`, "Task Resources:", "CPU Memory", "500/1000 MHz 12 MiB/256 MiB",
			"Memory Stats", "Cache RSS Swap Usage", "1.5 MiB 12 MiB 0 B 14 MiB",
			"CPU Stats", "Percent System Mode Total Ticks User Mode", "25.00% 5.00% 500 20.00%",
		}},
		{name: "stats unavailable", args: []string{"-stats", allocID}, statsCode: http.StatusBadGateway,
			wants: []string{`Task "server" is "running"`, "Recent Events:"}, warn: "Couldn't retrieve stats"},
		{name: "without -stats", args: []string{allocID}, wants: []string{`Task "server" is "running"`}, noStats: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var statsCalls atomic.Int32
			addr := fakeAPI(t, map[string]interface{}{
				"GET /v1/allocations":           prefixList(t, []*api.AllocationListStub{{ID: allocID}}),
				"GET /v1/allocation/" + allocID: alloc,
				"GET /v1/client/allocation/" + allocID + "/stats": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					statsCalls.Add(1)
					if tc.statsCode != 0 {
						http.Error(w, "node agent did not answer", tc.statsCode)
						return
					}
					writeJSONBody(t, w, usage)
				}),
			})
			ui := newUi()
			cmd := &AllocStatusCommand{Meta: Meta{Ui: ui}, now: func() time.Time { return now }}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != exitOK {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
			}
			out := squash(ui.OutputWriter.String())
			assertContains(t, out, tc.wants...)
			if tc.warn != "" {
				assertContains(t, ui.ErrorWriter.String(), tc.warn)
			}
			if tc.noStats && (statsCalls.Load() != 0 || strings.Contains(out, "Task Resources")) {
				t.Errorf("stats asked for (%d calls) or shown without -stats:\n%s", statsCalls.Load(), out)
			}
			if !tc.noStats && tc.statsCode != 0 && strings.Contains(out, "Task Resources") {
				t.Errorf("resource table shown without stats:\n%s", out)
			}
		})
	}
}

func TestHumanBytes(t *testing.T) {
	cases := map[uint64]string{0: "0 B", 1000: "1000 B", 1024: "1 KiB", 1536: "1.5 KiB", 984 << 10: "984 KiB", 12 << 20: "12 MiB", 3 << 30: "3 GiB"}
	for n, want := range cases {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
