package e2e

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWebExample runs examples/web.hcl with the built binary as a user
// would: run, status, logs, stop, purge.
func TestWebExample(t *testing.T) {
	a := startAgent(t)

	res := a.run(t, "job", "run", "../examples/web.hcl")
	if res.Code != 0 {
		t.Fatalf("job run exited %d\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, want := range []string{"Monitoring evaluation", `finished with status "complete"`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("job run output lacks %q:\n%s", want, res.Stdout)
		}
	}
	// job run returns once the allocations run, so no waiting is needed here.
	allocs := a.jobAllocs(t, "web")
	if got := countStatus(allocs)["running"]; got != 3 {
		t.Fatalf("after job run: %d running allocations, want 3: %+v", got, allocs)
	}

	status := a.run(t, "job", "status", "web")
	if status.Code != 0 {
		t.Fatalf("job status exited %d: %s", status.Code, status.Stderr)
	}
	if n := len(regexp.MustCompile(`(?m)\brun\s+running\b`).FindAllString(status.Stdout, -1)); n != 3 {
		t.Errorf("job status shows %d allocations desired run / running, want 3:\n%s", n, status.Stdout)
	}

	// The task prints its allocation ID: the logs of an allocation must hold it.
	id := allocs[0].ID
	waitFor(t, 10*time.Second, "task output in alloc logs", func() (bool, string) {
		logs := a.run(t, "alloc", "logs", id[:8])
		return logs.Code == 0 && strings.Contains(logs.Stdout, id), logs.Stdout + logs.Stderr
	})

	stop := a.run(t, "job", "stop", "web")
	if stop.Code != 0 {
		t.Fatalf("job stop exited %d: %s%s", stop.Code, stop.Stdout, stop.Stderr)
	}
	waitFor(t, 20*time.Second, "allocations stopped", func() (bool, string) {
		allocs := a.jobAllocs(t, "web")
		c := countStatus(allocs)
		return len(allocs) == 3 && c["running"] == 0 && c["pending"] == 0, fmt.Sprint(c)
	})

	purge := a.run(t, "job", "stop", "-purge", "web")
	if purge.Code != 0 {
		t.Fatalf("job stop -purge exited %d: %s%s", purge.Code, purge.Stdout, purge.Stderr)
	}
	if code := a.getJSON(t, "/v1/job/web", nil); code != 404 {
		t.Fatalf("GET /v1/job/web after purge = %d, want 404", code)
	}
}

// TestTaskRestartsThenAllocFails checks the restart policy end to end: a
// task that keeps exiting non-zero is restarted `attempts` times, then the
// allocation fails, and the events say so in order.
func TestTaskRestartsThenAllocFails(t *testing.T) {
	a := startAgent(t)
	spec := writeFile(t, "fail.hcl", `
job "fail" {
  type = "batch"
  group "g" {
    restart {
      attempts = 2
      interval = "10m"
      delay    = "100ms"
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo failing; exit 3"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`)
	res := a.run(t, "job", "run", "-detach", spec)
	if res.Code != 0 {
		t.Fatalf("job run -detach exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	var failed allocStub
	waitFor(t, 30*time.Second, "allocation failed", func() (bool, string) {
		for _, al := range a.jobAllocs(t, "fail") {
			if al.ClientStatus == "failed" {
				failed = al
				return true, ""
			}
		}
		return false, fmt.Sprint(countStatus(a.jobAllocs(t, "fail")))
	})
	ts := failed.TaskStates["t"]
	if ts.State != "dead" || !ts.Failed || ts.Restarts != 2 {
		t.Fatalf("task state = %s failed=%v restarts=%d, want dead, failed, 2 restarts", ts.State, ts.Failed, ts.Restarts)
	}
	var types []string
	for _, e := range ts.Events {
		types = append(types, e.Type)
	}
	got := strings.Join(types, ",")
	// Nomad keeps the last 10 events of a task, so the oldest ("Received")
	// may have rolled off; the restart sequence must be there in order.
	want := regexp.MustCompile(`Started,Terminated,Restarting,Started,Terminated,Restarting,Started,Terminated,Not Restarting`)
	if !want.MatchString(got) {
		t.Fatalf("task events = %s, want the pattern %s", got, want)
	}
}

// TestBadInput checks that a broken jobspec, an oversized job and a
// malformed request each get a clear answer and change nothing.
func TestBadInput(t *testing.T) {
	a := startAgent(t)

	t.Run("broken jobspec names file and line", func(t *testing.T) {
		spec := writeFile(t, "broken.hcl", "job \"x\" {\n  group \"g\" {\n    coun = 2\n  }\n}\n")
		res := a.run(t, "job", "validate", spec)
		if res.Code == 0 {
			t.Fatalf("job validate of a broken file exited 0")
		}
		if out := res.Stdout + res.Stderr; !strings.Contains(out, "broken.hcl:3") || !strings.Contains(out, "coun") {
			t.Fatalf("validate output does not name broken.hcl:3 and the field:\n%s", out)
		}
	})

	t.Run("task bigger than any node is refused at its line", func(t *testing.T) {
		spec := writeFile(t, "huge.hcl", `
job "huge" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["100"]
      }
      resources {
        memory = 100000000
      }
    }
  }
}
`)
		res := a.run(t, "job", "run", spec)
		out := res.Stdout + res.Stderr
		if res.Code != 1 {
			t.Errorf("job run of a task larger than every node exited %d, want 1", res.Code)
		}
		for _, want := range []string{"huge.hcl:11", "memory = 100000000 MB is more than any of the 1 ready nodes offers"} {
			if !strings.Contains(out, want) {
				t.Errorf("job run output lacks %q:\n%s", want, out)
			}
		}
		if code := a.getJSON(t, "/v1/job/huge", nil); code != 404 {
			t.Errorf("GET /v1/job/huge after a refused run = %d, want 404: nothing registered", code)
		}
	})

	t.Run("job that does not fit as a whole explains the failure", func(t *testing.T) {
		// Each allocation fits the node alone; two do not fit together.
		var nodes []struct{ ID string }
		a.getJSON(t, "/v1/nodes", &nodes)
		if len(nodes) != 1 {
			t.Fatalf("%d nodes, want the dev agent's one", len(nodes))
		}
		var node struct {
			NodeResources struct{ Memory struct{ MemoryMB int64 } }
		}
		a.getJSON(t, "/v1/node/"+nodes[0].ID, &node)
		mem := node.NodeResources.Memory.MemoryMB/2 + 1
		spec := writeFile(t, "pair.hcl", fmt.Sprintf(`
job "pair" {
  group "g" {
    count = 2
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["100"]
      }
      resources {
        cpu    = 20
        memory = %d
      }
    }
  }
}
`, mem))
		res := a.run(t, "job", "run", spec)
		out := res.Stdout + res.Stderr
		if res.Code != 2 {
			t.Errorf("job run of a job that cannot be placed whole exited %d, want 2 (placement failure)", res.Code)
		}
		for _, want := range []string{"failed to place 1 allocation", `Dimension "memory" exhausted`} {
			if !strings.Contains(out, want) {
				t.Errorf("job run output lacks %q:\n%s", want, out)
			}
		}
		if n := len(a.jobAllocs(t, "pair")); n != 1 {
			t.Errorf("job has %d allocations, want the 1 that fits", n)
		}
		a.run(t, "job", "stop", "-purge", "pair")
	})

	t.Run("unknown driver explains the failure", func(t *testing.T) {
		spec := writeFile(t, "nodriver.hcl", `
job "nodriver" {
  group "g" {
    task "t" {
      driver = "nosuchdriver"
      config {}
    }
  }
}
`)
		res := a.run(t, "job", "run", spec)
		if out := res.Stdout + res.Stderr; !strings.Contains(out, "missing drivers") {
			t.Errorf("job run output does not explain the missing driver:\n%s", out)
		}
	})

	t.Run("malformed JSON is a 400 and registers nothing", func(t *testing.T) {
		resp, err := http.Post(a.addr+"/v1/jobs", "application/json", strings.NewReader(`{"Job": {"ID": "x",`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || len(body) == 0 {
			t.Fatalf("malformed body: status %d body %q, want 400 with a message", resp.StatusCode, body)
		}
		if code := a.getJSON(t, "/v1/job/x", nil); code != 404 {
			t.Fatalf("job x exists after a malformed request (GET = %d)", code)
		}
	})

	t.Run("missing job ID is a 400", func(t *testing.T) {
		resp, err := http.Post(a.addr+"/v1/jobs", "application/json", strings.NewReader(`{"Job": {"TaskGroups": []}}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(strings.ToLower(string(body)), "id") {
			t.Fatalf("missing ID: status %d body %q, want 400 naming the ID", resp.StatusCode, body)
		}
	})
}
