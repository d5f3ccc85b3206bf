package rawexec_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

const benchTasks = 200

// BenchmarkStartTask starts 200 sleep tasks at once through one plugin
// process, as a client placing a count-200 job would, and reports the
// wall time for all 200 and the plugin's memory while they run.
func BenchmarkStartTask(b *testing.B) {
	inst, err := catalog.Launch("raw_exec", hclog.NewNullLogger())
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Kill()
	d := inst.Driver
	pid := inst.ReattachConfig.Pid

	idleRSS := drivertest.StatusKB(b, pid, "/proc/%d/status", "VmRSS:")
	var total time.Duration
	var rssKB, pssKB float64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		root := b.TempDir()
		cfgs := make([]*sdk.TaskConfig, benchTasks)
		for j := range cfgs {
			// One directory per task, as allocations have.
			dir := filepath.Join(root, strconv.Itoa(j))
			if err := os.Mkdir(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			cfgs[j] = &sdk.TaskConfig{
				ID: fmt.Sprintf("bench-%d-%d", i, j), Name: "web", TaskDir: dir,
				Config:     map[string]interface{}{"command": "sleep", "args": []interface{}{"1000"}},
				StdoutPath: filepath.Join(dir, "web.stdout"),
				StderrPath: filepath.Join(dir, "web.stderr"),
			}
		}
		b.StartTimer()

		took, err := drivertest.StartAll(d, cfgs)
		total += took

		b.StopTimer()
		if err != nil {
			b.Fatalf("StartTask: %v", err)
		}
		rssKB += drivertest.StatusKB(b, pid, "/proc/%d/status", "VmRSS:")
		pssKB += drivertest.StatusKB(b, pid, "/proc/%d/smaps_rollup", "Pss:")
		for _, cfg := range cfgs {
			if err := d.DestroyTask(cfg.ID, true); err != nil {
				b.Fatalf("DestroyTask: %v", err)
			}
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(total.Milliseconds())/n, "ms/200tasks")
	b.ReportMetric(rssKB/1024/n, "plugin_rss_MB")
	b.ReportMetric(pssKB/1024/n, "plugin_pss_MB")
	b.ReportMetric(idleRSS/1024, "idle_rss_MB")
}
