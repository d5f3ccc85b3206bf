package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchCase is one job shape for BenchmarkJobRunToRunning.
type benchCase struct {
	driver string
	count  int
	config string // the task's config block body
	memory int
}

var benchCases = []benchCase{
	{driver: "raw_exec", count: 50, config: `command = "/bin/sleep"
        args = ["3600"]`, memory: 16},
	{driver: "raw_exec", count: 200, config: `command = "/bin/sleep"
        args = ["3600"]`, memory: 16},
	{driver: "exec", count: 50, config: `command = "/bin/sleep"
        args = ["3600"]`, memory: 16},
	{driver: "docker", count: 20, config: `image = "orch-example/hello:local"`, memory: 32},
}

// BenchmarkJobRunToRunning measures, with the built binary, the time from
// `orch job run` to every allocation of a job running (job run returns only
// then), per driver. One op is one job run; the job is purged, and its
// tasks gone, between ops. It also reports the memory that orch itself
// uses per running task: the proportional set size of every orch process
// (agent and driver plugins) divided by the task count.
//
//	go test -run '^$' -bench BenchmarkJobRunToRunning -benchtime 3x ./e2e
func BenchmarkJobRunToRunning(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(fmt.Sprintf("%s/count=%d", bc.driver, bc.count), func(b *testing.B) {
			if bc.driver == "docker" {
				if out, err := exec.Command("make", "-C", "..", "example-image").CombinedOutput(); err != nil {
					b.Skipf("no local example image (docker engine unavailable?): %v\n%s", err, out)
				}
			}
			a := startAgent(b)
			spec := writeFile(b, "bench.hcl", fmt.Sprintf(`
job "bench" {
  group "g" {
    count = %d
    task "t" {
      driver = %q
      config {
        %s
      }
      resources {
        cpu    = 10
        memory = %d
      }
    }
  }
}
`, bc.count, bc.driver, bc.config, bc.memory))
			var total time.Duration
			var pssPerTask float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				res := a.run(b, "job", "run", spec)
				total += time.Since(start)
				if res.Code != 0 {
					b.Fatalf("job run exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
				}

				b.StopTimer()
				if got := countStatus(a.jobAllocs(b, "bench"))["running"]; got != bc.count {
					b.Fatalf("%d allocations running after job run, want %d", got, bc.count)
				}
				pssPerTask = float64(orchPSSKB(b, a.cmd.Process.Pid)) / float64(bc.count)
				if res := a.run(b, "job", "stop", "-purge", "bench"); res.Code != 0 {
					b.Fatalf("job stop exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
				}
				waitFor(b, 2*time.Minute, "job purged", func() (bool, string) {
					return a.getJSON(b, "/v1/job/bench", nil) == http.StatusNotFound, ""
				})
				b.StartTimer()
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/run")
			b.ReportMetric(pssPerTask, "KB-orch-PSS/task")
		})
	}
}

// orchPSSKB sums the proportional set size of the agent and of every
// process running the same binary (its driver plugins), in KB.
func orchPSSKB(tb testing.TB, agentPid int) int {
	tb.Helper()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", agentPid))
	if err != nil {
		tb.Fatalf("agent executable: %v", err)
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	total := 0
	for _, d := range dirs {
		if e, err := os.Readlink(d + "/exe"); err != nil || e != exe {
			continue
		}
		total += pssKB(d + "/smaps_rollup")
	}
	return total
}

func pssKB(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "Pss:" {
			n, _ := strconv.Atoi(fields[1])
			return n
		}
	}
	return 0
}

// BenchmarkAgentStartToHealthy measures the time from starting
// `orch agent -dev` to its first healthy /v1/agent/health answer (a
// leader known and the local node registered).
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
