package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMixedExample runs examples/mixed.hcl — a docker, an exec and a
// raw_exec task in one group — with the built binary: all three run, each
// one's logs are readable, the container answers on its published port,
// and stopping the job stops all three and removes the container.
func TestMixedExample(t *testing.T) {
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skipf("the Docker engine does not answer (docker info: %v): the mixed example needs it", err)
	}
	// The documented way to get the example's image: built locally, no registry.
	if out, err := exec.Command("make", "-C", "..", "example-image").CombinedOutput(); err != nil {
		t.Fatalf("make example-image: %v\n%s", err, out)
	}
	a := startAgent(t)

	res := a.run(t, "job", "run", "../examples/mixed.hcl")
	if res.Code != 0 {
		t.Fatalf("job run exited %d\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	allocs := a.jobAllocs(t, "mixed")
	if len(allocs) != 1 || allocs[0].ClientStatus != "running" {
		t.Fatalf("want one running allocation, got %+v", allocs)
	}
	id := allocs[0].ID
	for _, task := range []string{"web", "worker", "probe"} {
		if st := allocs[0].TaskStates[task].State; st != "running" {
			t.Errorf("task %s is %q, want running", task, st)
		}
	}

	// The container answers on the host port the scheduler assigned.
	var full struct {
		AllocatedResources struct {
			Shared struct {
				Ports []struct {
					Label  string
					Value  int
					HostIP string
				}
			}
		}
	}
	a.getJSON(t, "/v1/allocation/"+id, &full)
	port := 0
	for _, p := range full.AllocatedResources.Shared.Ports {
		if p.Label == "http" {
			port = p.Value
		}
	}
	if port == 0 {
		t.Fatalf("allocation has no http port: %+v", full.AllocatedResources.Shared.Ports)
	}
	waitFor(t, 20*time.Second, "the container to answer on its port", func() (bool, string) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false, err.Error()
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(body), "hello from") && strings.Contains(string(body), id), string(body)
	})

	wantLogs := map[string]string{
		"web":    "hello listening on :8080",
		"worker": "worker nobody on worker", // exec: isolated user and hostname
		"probe":  fmt.Sprintf("probe sees web at 127.0.0.1:%d", port),
	}
	for task, want := range wantLogs {
		waitFor(t, 20*time.Second, task+" logs", func() (bool, string) {
			logs := a.run(t, "alloc", "logs", id[:8], task)
			return logs.Code == 0 && strings.Contains(logs.Stdout, want), logs.Stdout + logs.Stderr
		})
	}

	if res := a.run(t, "job", "stop", "mixed"); res.Code != 0 {
		t.Fatalf("job stop exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	waitFor(t, 30*time.Second, "all three tasks dead", func() (bool, string) {
		var alloc allocStub
		a.getJSON(t, "/v1/allocation/"+id, &alloc)
		states := map[string]string{}
		for name, ts := range alloc.TaskStates {
			states[name] = ts.State
		}
		return alloc.ClientStatus != "running" && states["web"] == "dead" && states["worker"] == "dead" &&
			states["probe"] == "dead", fmt.Sprint(alloc.ClientStatus, states)
	})
	waitFor(t, 30*time.Second, "the container removed", func() (bool, string) {
		out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=orch.alloc_id="+id).Output()
		return err == nil && strings.TrimSpace(string(out)) == "", string(out)
	})
}
