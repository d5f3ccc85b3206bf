package docker_test

import (
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

const benchTasks = 20

// BenchmarkStartTask starts 20 containers at once through one plugin
// process, as a client placing a count-20 docker job would, and reports
// the wall time for all 20 and the plugin's memory while they run (each
// running task holds a wait and a log stream open to the engine).
//
//	go test -run '^$' -bench BenchmarkStartTask -benchtime 3x ./drivers/docker
func BenchmarkStartTask(b *testing.B) {
	requireEngine(b)
	inst := launch(b, nil)
	d := inst.Driver
	pid := inst.ReattachConfig.Pid
	idleRSS := drivertest.StatusKB(b, pid, "/proc/%d/status", "VmRSS:")
	var total time.Duration
	var rssKB, pssKB float64
	for b.Loop() {
		b.StopTimer()
		cfgs := make([]*sdk.TaskConfig, benchTasks)
		for j := range cfgs {
			cfgs[j] = taskConfig(b, prog("sleep", "1h"))
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
		var dg sync.WaitGroup
		for _, cfg := range cfgs {
			dg.Go(func() {
				if err := d.DestroyTask(cfg.ID, true); err != nil {
					b.Errorf("DestroyTask: %v", err)
				}
			})
		}
		dg.Wait()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(total.Milliseconds())/n, "ms/20tasks")
	b.ReportMetric(rssKB/1024/n, "plugin_rss_MB")
	b.ReportMetric(pssKB/1024/n, "plugin_pss_MB")
	b.ReportMetric(idleRSS/1024, "idle_rss_MB")
}
