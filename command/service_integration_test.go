package command

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/client/allocdir"
)

// helperHTTPEnv makes the test binary serve HTTP instead of running tests
// (see TestMain): the raw_exec tasks below run it as their program.
const helperHTTPEnv = "ORCH_TEST_HTTP_SERVER"

// serveHelperHTTP listens on NOMAD_PORT_http and answers /health with 200,
// or 500 once the file "unhealthy" exists in the task's local/ directory,
// and /whoami (any method) with the allocation ID, after ?ms=N
// milliseconds of simulated work. It exits at once on SIGINT, like most
// servers: requests in flight then fail, which is what shutdown_delay is
// for.
func serveHelperHTTP() {
	flag := filepath.Join(os.Getenv("NOMAD_TASK_DIR"), "unhealthy")
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(flag); err == nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		if ms, err := strconv.Atoi(r.URL.Query().Get("ms")); err == nil && ms > 0 {
			time.Sleep(time.Duration(ms) * time.Millisecond) // the request's work, not a wait for state
		}
		fmt.Fprint(w, os.Getenv("NOMAD_ALLOC_ID"))
	})
	err := http.ListenAndServe(net.JoinHostPort("127.0.0.1", os.Getenv("NOMAD_PORT_http")), nil)
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func serviceJobHCL(name string, count int, extraCheck string) string {
	self, _ := os.Executable()
	return fmt.Sprintf(`
job %[1]q {
  group "g" {
    count = %[2]d
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
        command = %[3]q
      }
      env {
        %[4]s = "1"
      }
      service {
        name = %[1]q
        port = "http"
        tags = ["v1"]
        check {
          type     = "http"
          path     = "/health"
          interval = "1s"
          timeout  = "1s"
          %[5]s
        }
        # A script check runs in the task's directory with its env, as
        # raw_exec runs the task.
        check {
          type     = "script"
          command  = "/bin/sh"
          args     = ["-c", "test ! -f $NOMAD_TASK_DIR/unhealthy && test -d local"]
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
}`, name, count, self, helperHTTPEnv, extraCheck)
}

func serviceStatuses(t *testing.T, c *api.Client, name string) (map[string]int, []*api.ServiceRegistration) {
	t.Helper()
	regs, _, err := c.Services().Get(name, nil)
	if err != nil {
		t.Fatalf("service %s: %v", name, err)
	}
	out := map[string]int{}
	for _, r := range regs {
		out[r.Status]++
	}
	return out, regs
}

func taskLocalDir(dataDir, allocID string) string {
	return allocdir.New(filepath.Join(dataDir, "alloc"), allocID).TaskDir("server").LocalDir
}

// TestDevAgent_Services runs a count-3 HTTP service with real checks:
// the catalog and `orch service info` show 3 passing instances; one made
// unhealthy turns critical within about one check interval; check_restart
// restarts a task whose check keeps failing; a template listing a
// service's instances re-renders and restarts its task when one is added.
func TestDevAgent_Services(t *testing.T) {
	dataDir := t.TempDir()
	c := startDevAgentAt(t, dataDir)
	registerHCL(t, c, serviceJobHCL("web", 3, ""))
	pollUntil(t, 30*time.Second, "3 passing instances", func() (bool, string) {
		got, _ := serviceStatuses(t, c, "web")
		return got["passing"] == 3, fmt.Sprint(got)
	})
	ui := newUi()
	cmd := &ServiceInfoCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", c.Address(), "web"}); code != 0 {
		t.Fatalf("service info: %s", ui.ErrorWriter)
	}
	if out := ui.OutputWriter.String(); strings.Count(out, "passing") != 3 || !strings.Contains(out, "Job ID") {
		t.Fatalf("service info:\n%s", out)
	}

	t.Run("unhealthy instance turns critical", func(t *testing.T) {
		_, regs := serviceStatuses(t, c, "web")
		victim := regs[0]
		if err := os.WriteFile(filepath.Join(taskLocalDir(dataDir, victim.AllocID), "unhealthy"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		pollUntil(t, 10*time.Second, "one critical instance", func() (bool, string) {
			got, _ := serviceStatuses(t, c, "web")
			return got["critical"] == 1 && got["passing"] == 2, fmt.Sprint(got)
		})
		t.Logf("instance critical %s after its check started failing (interval 1s)", time.Since(start).Round(10*time.Millisecond))
	})

	t.Run("check_restart restarts the task", func(t *testing.T) {
		registerHCL(t, c, serviceJobHCL("live", 1, `check_restart {
            limit = 2
            grace = "1s"
          }`))
		pollUntil(t, 30*time.Second, "live passing", func() (bool, string) {
			got, _ := serviceStatuses(t, c, "live")
			return got["passing"] == 1, fmt.Sprint(got)
		})
		_, regs := serviceStatuses(t, c, "live")
		if err := os.WriteFile(filepath.Join(taskLocalDir(dataDir, regs[0].AllocID), "unhealthy"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		pollUntil(t, 20*time.Second, "a restart for the failing check", func() (bool, string) {
			a, _, err := c.Allocations().Info(regs[0].AllocID, nil)
			if err != nil {
				return false, err.Error()
			}
			ts := a.TaskStates["server"]
			return ts != nil && ts.Restarts >= 1 && hasEvent(ts, "Restart Signaled"), fmt.Sprintf("%+v", ts)
		})
	})

	t.Run("template re-renders and restarts on a new instance", func(t *testing.T) {
		registerHCL(t, c, serviceJobHCL("echo", 1, ""))
		pollUntil(t, 30*time.Second, "echo passing", func() (bool, string) {
			got, _ := serviceStatuses(t, c, "echo")
			return got["passing"] == 1, fmt.Sprint(got)
		})
		registerHCL(t, c, `
job "consumer" {
  group "g" {
    task "app" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["300"]
      }
      template {
        data        = <<EOT
{{ range nomadService "echo" }}{{ .Address }}:{{ .Port }}
{{ end }}
EOT
        destination = "local/upstreams.txt"
        change_mode = "restart"
        splay       = "0s"
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`)
		var allocID string
		pollUntil(t, 30*time.Second, "consumer running with one upstream", func() (bool, string) {
			allocs, _, err := c.Jobs().Allocations("consumer", false, nil)
			if err != nil || len(allocs) == 0 || allocs[0].ClientStatus != "running" {
				return false, fmt.Sprint(err)
			}
			allocID = allocs[0].ID
			return upstreamLines(dataDir, allocID) == 1, "upstreams not rendered"
		})
		registerHCL(t, c, serviceJobHCL("echo", 2, ""))
		pollUntil(t, 30*time.Second, "two upstreams and a restart", func() (bool, string) {
			a, _, err := c.Allocations().Info(allocID, nil)
			if err != nil {
				return false, err.Error()
			}
			ts := a.TaskStates["app"]
			n := upstreamLines(dataDir, allocID)
			return n == 2 && ts != nil && ts.Restarts >= 1, fmt.Sprintf("%d upstreams, state %+v", n, ts)
		})
	})
}

func upstreamLines(dataDir, allocID string) int {
	td := allocdir.New(filepath.Join(dataDir, "alloc"), allocID).TaskDir("app").LocalDir
	b, err := os.ReadFile(filepath.Join(td, "upstreams.txt"))
	if err != nil {
		return -1
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, ":") {
			n++
		}
	}
	return n
}

func hasEvent(ts *api.TaskState, typ string) bool {
	for _, e := range ts.Events {
		if e.Type == typ {
			return true
		}
	}
	return false
}
