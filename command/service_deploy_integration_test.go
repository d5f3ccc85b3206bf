package command

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// deployServiceHCL is a count-3 HTTP service rolled one allocation at a
// time, judged healthy by its checks. version goes into the task's
// environment (a destructive change), checkPath is the http check's path,
// publish, when not 0, publishes it through every client's balancer, and
// extra is placed in the group (shutdown_delay, reschedule).
func deployServiceHCL(name, version, checkPath string, publish int, update, extra string) string {
	self, _ := os.Executable()
	pub := ""
	if publish != 0 {
		pub = fmt.Sprintf(`publish {
          port = %d
          mode = "http"
        }`, publish)
	}
	return fmt.Sprintf(`
job %[1]q {
  update {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "1s"
    %[7]s
  }
  group "g" {
    count = 3
    %[8]s
    restart {
      attempts = 5
      interval = "5m"
      delay    = "100ms"
      mode     = "fail"
    }
    network {
      port "http" {}
    }
    task "server" {
      driver = "raw_exec"
      config {
        command = %[2]q
      }
      env {
        %[3]s = "1"
        APP_VERSION = %[4]q
      }
      service {
        name = %[1]q
        port = "http"
        %[6]s
        check {
          type     = "http"
          path     = %[5]q
          interval = "1s"
          timeout  = "1s"
        }
      }
      resources {
        cpu    = 20
        memory = 32
      }
    }
  }
}`, name, self, helperHTTPEnv, version, checkPath, pub, update, extra)
}

// versionsByAlloc maps every allocation of the job to its job version.
func versionsByAlloc(t *testing.T, c *api.Client, jobID string) map[string]uint64 {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(jobID, true, nil)
	if err != nil {
		t.Fatalf("allocations of %s: %v", jobID, err)
	}
	out := make(map[string]uint64, len(allocs))
	for _, a := range allocs {
		out[a.ID] = a.JobVersion
	}
	return out
}

// loadResult is what a request loop saw.
type loadResult struct {
	total, failed atomic.Int64

	mu      sync.Mutex
	byAlloc map[string]int
	// firstFailures keeps the first few errors for the report.
	firstFailures []string
}

func (r *loadResult) record(alloc string, err error) {
	r.total.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed.Add(1)
		if len(r.firstFailures) < 10 {
			r.firstFailures = append(r.firstFailures, err.Error())
		}
		return
	}
	r.byAlloc[alloc]++
}

// lbRequest POSTs to the balancer: a POST is not idempotent, so the
// balancer never retries it on another instance once sent, and a request
// an instance drops on its way out fails here.
func lbRequest(httpc *http.Client, url string) (string, error) {
	resp, err := httpc.Post(url, "text/plain", strings.NewReader("ping"))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	return string(body), nil
}

// TestDevAgent_RollingUpdateThroughBalancer rolls a published count-3
// HTTP service from v1 to v2 (max_parallel 1, health by checks) while a
// few clients send requests through the client's load balancer: not one
// request fails, the deployment succeeds, and afterwards every answer
// comes from a v2 allocation. What makes it work is Nomad's stop order:
// an old allocation's instance leaves the catalog (and the balancer)
// first, then shutdown_delay lets its requests in flight finish, then the
// task is killed.
func TestDevAgent_RollingUpdateThroughBalancer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real tasks")
	}
	lbPort := freePort(t)
	c := startDevAgent(t)
	const extra = `shutdown_delay = "1s"`
	update := `healthy_deadline = "30s"
    progress_deadline = "60s"`
	code, out, errOut := cliRun(t, c, "run", writeJob(t, deployServiceHCL("roll", "v1", "/health", lbPort, update, extra)))
	if code != exitOK || !strings.Contains(out, "successful") {
		t.Fatalf("v1 run: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Cleanup(func() { _, _, _ = c.Jobs().Deregister("roll", true, nil) })

	// The load's requests take 200ms at the instance, so that some are
	// always in flight when an old instance stops: without shutdown_delay
	// they fail (tried by hand: 3 of ~140 failed, one per replaced
	// allocation). The checks around the load use instant requests.
	url := fmt.Sprintf("http://127.0.0.1:%d/whoami?ms=200", lbPort)
	quickURL := fmt.Sprintf("http://127.0.0.1:%d/whoami", lbPort)
	httpc := &http.Client{Timeout: 5 * time.Second}
	pollUntil(t, 15*time.Second, "the balancer answering from 3 instances", func() (bool, string) {
		seen := map[string]bool{}
		var lastErr error
		for range 30 {
			alloc, err := lbRequest(httpc, quickURL)
			if err != nil {
				lastErr = err
				continue
			}
			seen[alloc] = true
		}
		return len(seen) == 3 && lastErr == nil, fmt.Sprintf("%d instances, last error %v", len(seen), lastErr)
	})

	// A bounded load: 4 clients, each until the deployment ends or it
	// has sent maxPerClient requests.
	const clients, maxPerClient = 4, 5000
	res := &loadResult{byAlloc: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range maxPerClient {
				select {
				case <-stop:
					return
				default:
				}
				res.record(lbRequest(httpc, url))
			}
		}()
	}

	type runResult struct {
		code     int
		out, err string
	}
	done := make(chan runResult, 1)
	go func() {
		code, out, errOut := cliRun(t, c, "run", writeJob(t, deployServiceHCL("roll", "v2", "/health", lbPort, update, extra)))
		done <- runResult{code, out, errOut}
	}()
	var run runResult
	select {
	case run = <-done:
	case <-time.After(90 * time.Second):
		close(stop)
		wg.Wait()
		t.Fatal("v2 deployment still running after 90s")
	}
	close(stop)
	wg.Wait()
	if run.code != exitOK || !strings.Contains(run.out, "successful") {
		t.Fatalf("v2 run: exit %d\n%s\n%s", run.code, run.out, run.err)
	}
	versions := versionsByAlloc(t, c, "roll")
	res.mu.Lock()
	perVersion := map[uint64]int{}
	for alloc, n := range res.byAlloc {
		perVersion[versions[alloc]] += n
	}
	first := res.firstFailures
	res.mu.Unlock()
	t.Logf("%d requests through the balancer during the update, by job version %v, %d failed", res.total.Load(), perVersion, res.failed.Load())
	if n := res.failed.Load(); n > 0 {
		t.Fatalf("%d requests failed during the rolling update, first ones: %q", n, first)
	}
	if perVersion[0] == 0 || perVersion[1] == 0 {
		t.Fatalf("requests by version %v: the load must span both versions", perVersion)
	}

	pollUntil(t, 10*time.Second, "every answer from a v2 allocation", func() (bool, string) {
		versions := versionsByAlloc(t, c, "roll")
		seen := map[string]uint64{}
		for range 30 {
			alloc, err := lbRequest(httpc, quickURL)
			if err != nil {
				return false, err.Error()
			}
			seen[alloc] = versions[alloc]
		}
		for _, v := range seen {
			if v != 1 {
				return false, fmt.Sprintf("answers by allocation (version) %v", seen)
			}
		}
		return len(seen) == 3, fmt.Sprintf("answers by allocation (version) %v", seen)
	})
}

// TestDevAgent_UnhealthyChecksAutoRevert deploys a v2 whose process runs
// fine but whose http check never passes (its path answers 404): with
// health_check = "checks" its allocation is judged unhealthy at
// healthy_deadline. v2 disables rescheduling (attempts = 0), so this is
// the fail-at-once path despite the progress deadline: no reschedule is
// left to replace the allocation, the deployment fails with Nomad's
// description, and auto_revert registers v1's spec again as a new
// version, whose instances end up all passing in the catalog.
func TestDevAgent_UnhealthyChecksAutoRevert(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real tasks")
	}
	c := startDevAgent(t)
	// v1 gets a generous healthy_deadline (slow shared machines); v2's
	// is short, since it can only run out.
	update := `healthy_deadline = "%s"
    progress_deadline = "30s"
    auto_revert = true`
	code, out, errOut := cliRun(t, c, "run", writeJob(t, deployServiceHCL("revert", "v1", "/health", 0, fmt.Sprintf(update, "20s"), "")))
	if code != exitOK || !strings.Contains(out, "successful") {
		t.Fatalf("v1 run: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Cleanup(func() { _, _, _ = c.Jobs().Deregister("revert", true, nil) })

	code, out, errOut = cliRun(t, c, "run", writeJob(t, deployServiceHCL("revert", "v2", "/missing", 0, fmt.Sprintf(update, "4s"), `reschedule {
      attempts  = 0
      unlimited = false
    }`)))
	if code != exitError || !strings.Contains(errOut, "rolling back to job version 0") {
		t.Fatalf("v2 run: exit %d, want 1 and a rollback\n%s\n%s", code, out, errOut)
	}
	deps, _, err := c.Jobs().Deployments("revert", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	var failed *api.Deployment
	for _, d := range deps {
		if d.JobVersion == 1 {
			failed = d
		}
	}
	const wantDesc = "Failed due to unhealthy allocations - rolling back to job version 0"
	if failed == nil || failed.Status != "failed" || failed.StatusDescription != wantDesc {
		t.Fatalf("v2 deployment %+v, want failed with %q", failed, wantDesc)
	}

	// The v2 allocation was unhealthy because of its checks: its task
	// ran until the revert stopped it, never restarting or failing.
	allocs, _, err := c.Deployments().Allocations(failed.ID, nil)
	if err != nil || len(allocs) == 0 {
		t.Fatalf("allocations of the failed deployment: %v %v", allocs, err)
	}
	for _, stub := range allocs {
		a, _, err := c.Allocations().Info(stub.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a.DeploymentStatus == nil || a.DeploymentStatus.Healthy == nil || *a.DeploymentStatus.Healthy {
			t.Fatalf("v2 allocation %s deployment status %+v, want unhealthy", a.ID, a.DeploymentStatus)
		}
		ts := a.TaskStates["server"]
		if ts == nil || ts.Restarts != 0 || ts.Failed || !killedBeforeExit(ts) {
			t.Fatalf("v2 allocation %s task state %+v: want a task that ran until killed", a.ID, ts)
		}
	}

	pollUntil(t, 60*time.Second, "the reverted version's 3 instances passing", func() (bool, string) {
		job, _, err := c.Jobs().Info("revert", nil)
		if err != nil {
			return false, err.Error()
		}
		if *job.Version != 2 {
			return false, fmt.Sprintf("job version %d", *job.Version)
		}
		task := job.TaskGroups[0].Tasks[0]
		if p, v := task.Services[0].Checks[0].Path, task.Env["APP_VERSION"]; p != "/health" || v != "v1" {
			t.Fatalf("reverted job checks %q with APP_VERSION %q, want v1's /health and v1", p, v)
		}
		versions := versionsByAlloc(t, c, "revert")
		got, regs := serviceStatuses(t, c, "revert")
		for _, r := range regs {
			if versions[r.AllocID] != 2 {
				return false, fmt.Sprintf("instance of allocation %s at version %d; statuses %v", r.AllocID, versions[r.AllocID], got)
			}
		}
		return got["passing"] == 3 && len(regs) == 3, fmt.Sprint(got)
	})
}

// killedBeforeExit: the task's only ending, if any, came after the
// client's kill, not before.
func killedBeforeExit(ts *api.TaskState) bool {
	for _, e := range ts.Events {
		switch e.Type {
		case "Killing":
			return true
		case "Terminated":
			return false
		}
	}
	return true
}
