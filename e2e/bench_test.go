package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkJobRunToRunning measures, with the built binary, the time from
// `orch job run` to every allocation of a raw_exec job running (job run
// returns only then). One op is one job run of the given count; the job is
// purged, and its tasks gone, between ops.
//
//	go test -run '^$' -bench BenchmarkJobRunToRunning -benchtime 3x ./e2e
func BenchmarkJobRunToRunning(b *testing.B) {
	for _, count := range []int{50, 200} {
		b.Run(fmt.Sprintf("count=%d", count), func(b *testing.B) {
			a := startAgent(b)
			spec := writeFile(b, "bench.hcl", fmt.Sprintf(`
job "bench" {
  group "g" {
    count = %d
    task "sleep" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["3600"]
      }
      resources {
        cpu    = 10
        memory = 16
      }
    }
  }
}
`, count))
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				res := a.run(b, "job", "run", spec)
				elapsed := time.Since(start)
				if res.Code != 0 {
					b.Fatalf("job run exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
				}
				if got := countStatus(a.jobAllocs(b, "bench"))["running"]; got != count {
					b.Fatalf("%d allocations running after job run, want %d", got, count)
				}
				total += elapsed

				b.StopTimer()
				if res := a.run(b, "job", "stop", "-purge", "bench"); res.Code != 0 {
					b.Fatalf("job stop exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
				}
				waitFor(b, time.Minute, "job purged", func() (bool, string) {
					return a.getJSON(b, "/v1/job/bench", nil) == http.StatusNotFound, ""
				})
				b.StartTimer()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/run")
		})
	}
}

// BenchmarkAgentStartToHealthy measures the time from starting
// `orch agent -dev` to its first healthy /v1/agent/health answer.
//
//	go test -run '^$' -bench BenchmarkAgentStartToHealthy -benchtime 5x ./e2e
func BenchmarkAgentStartToHealthy(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		a := startAgent(b)
		total += time.Since(start)
		b.StopTimer()
		a.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/healthy")
}
