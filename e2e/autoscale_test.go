package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scaleStatus is the part of GET /v1/job/:id/scale the test reads.
type scaleStatus struct {
	TaskGroups map[string]struct {
		Desired, Running int
		Events           []struct {
			Time          int64
			Count         *int64
			PreviousCount int64
			Message       string
			Error         bool
		}
	}
}

// TestAutoscaleCPU runs a raw_exec group of count 1 whose task burns CPU
// while a control file exists, with a 50% CPU target, min 1 and max 3:
// it scales up while loaded and back to 1 once the load stops and the
// stabilisation window passes, never outside the bounds, and every change
// is a scaling event with its reason in /v1/job/:id/scale and in
// `orch job status`.
func TestAutoscaleCPU(t *testing.T) {
	dir := t.TempDir()
	burner := filepath.Join(dir, "cpuburner")
	build := exec.Command("go", "build", "-o", burner, "./testdata/cpuburner")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cpuburner: %v\n%s", err, out)
	}
	control := filepath.Join(dir, "load")
	cfg := writeFile(t, "agent.hcl", `client { autoscaling_sample_interval = "1s" }`)
	a := startAgent(t, "-config", cfg)
	spec := writeFile(t, "burn.hcl", fmt.Sprintf(`
job "burn" {
  group "burn" {
    count = 1
    scaling {
      min = 1
      max = 3
      policy {
        evaluation_interval = "1s"
        cooldown            = "2s"
        check "cpu" {
          source = "orch"
          query  = "avg_cpu-allocated"
          strategy "target-value" {
            target = 50
          }
        }
        scale_down {
          stabilization_window = "3s"
        }
      }
    }
    task "burn" {
      driver = "raw_exec"
      config {
        command = %q
        args    = [%q]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`, burner, control))
	if res := a.run(t, "job", "run", spec); res.Code != 0 {
		t.Fatalf("job run exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	maxRunning := 0
	running := func() int {
		n := countStatus(a.jobAllocs(t, "burn"))["running"]
		maxRunning = max(maxRunning, n)
		return n
	}

	loadOn := time.Now()
	if err := os.WriteFile(control, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var latency time.Duration
	waitFor(t, 60*time.Second, "a second allocation running under load", func() (bool, string) {
		n := running()
		if n >= 2 && latency == 0 {
			latency = time.Since(loadOn)
		}
		return n >= 2, fmt.Sprintf("%d running", n)
	})
	t.Logf("decision latency, load on to the new allocation running: %s", latency)
	waitFor(t, 60*time.Second, "scaled to max 3 under load", func() (bool, string) {
		n := running()
		return n == 3, fmt.Sprintf("%d running", n)
	})

	loadOff := time.Now()
	if err := os.Remove(control); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "back to min 1 after the load stopped", func() (bool, string) {
		n := running()
		return n == 1, fmt.Sprintf("%d running", n)
	})
	t.Logf("scale down, load off to one allocation running: %s (stabilisation window 3s)", time.Since(loadOff))
	if maxRunning > 3 {
		t.Fatalf("%d allocations ran at once, above max 3", maxRunning)
	}

	var st scaleStatus
	if code := a.getJSON(t, "/v1/job/burn/scale", &st); code != 200 {
		t.Fatalf("GET /v1/job/burn/scale: %d", code)
	}
	g := st.TaskGroups["burn"]
	var ups, downs int
	for _, e := range g.Events {
		if e.Error || e.Count == nil {
			continue
		}
		if *e.Count < 1 || *e.Count > 3 {
			t.Fatalf("scaling event outside min/max: %+v", e)
		}
		if !strings.Contains(e.Message, `check "cpu"`) || !strings.Contains(e.Message, "scaling from") {
			t.Fatalf("scaling event without its reason: %+v", e)
		}
		if *e.Count > e.PreviousCount {
			ups++
		} else {
			downs++
		}
	}
	if ups == 0 || downs == 0 || g.Desired != 1 {
		t.Fatalf("events %+v (desired %d), want at least one scale up and one scale down, ending at 1", g.Events, g.Desired)
	}
	res := a.run(t, "job", "status", "burn")
	if res.Code != 0 || !strings.Contains(res.Stdout, "Recent Scaling Events") || !strings.Contains(res.Stdout, "scaling from 1 to") {
		t.Fatalf("job status (exit %d) shows no scaling events:\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
}
