package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestExecScriptCheck runs a script check inside an isolated exec task
// with the built binary: the command sees the task's chroot (its /local)
// and user, so the instance is passing; a file the task's check looks for
// turns it critical (exit 2); removing it makes it pass again.
func TestExecScriptCheck(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	a := startAgent(t)
	spec := writeFile(t, "probe.hcl", `
job "probe" {
  group "g" {
    network {
      port "http" {}
    }
    task "worker" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "touch /local/started; exec sleep 600"]
      }
      service {
        name = "probe"
        port = "http"
        check {
          type     = "script"
          command  = "/bin/sh"
          # exit 1 would be a warning, as in Consul and Nomad
          args     = ["-c", "test -f /local/started || exit 2; test -f /local/down && exit 2; echo \"ok as $(id -un)\""]
          interval = "1s"
          timeout  = "2s"
        }
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}`)
	if res := a.run(t, "job", "run", spec); res.Code != 0 {
		t.Fatalf("job run exited %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	status := func() (string, string) {
		var regs []struct {
			AllocID string
			Status  string
		}
		a.getJSON(t, "/v1/service/probe", &regs)
		if len(regs) != 1 {
			return "", fmt.Sprintf("%d instances", len(regs))
		}
		return regs[0].Status, regs[0].AllocID
	}
	waitFor(t, 30*time.Second, "the script check passing", func() (bool, string) {
		st, info := status()
		return st == "passing", st + " " + info
	})
	info := a.run(t, "service", "info", "probe")
	if info.Code != 0 || !strings.Contains(info.Stdout, "passing") {
		t.Fatalf("service info exited %d:\n%s%s", info.Code, info.Stdout, info.Stderr)
	}

	_, allocID := status()
	down := filepath.Join(a.dataDir, "data", "alloc", allocID, "worker", "local", "down")
	if err := os.WriteFile(down, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the script check critical", func() (bool, string) {
		st, _ := status()
		return st == "critical", st
	})
	if err := os.Remove(down); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "the script check passing again", func() (bool, string) {
		st, _ := status()
		return st == "passing", st
	})
}
