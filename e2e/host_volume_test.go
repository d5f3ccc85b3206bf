package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostVolume runs an exec task that writes through a host volume the
// agent offers, and a job asking for a volume no node offers, which fails
// to place with Nomad's reason.
func TestHostVolume(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	vol := t.TempDir()
	if err := os.Chmod(vol, 0o777); err != nil { // the task runs as nobody
		t.Fatal(err)
	}
	cfg := writeFile(t, "volumes.hcl", fmt.Sprintf("client {\n  host_volume \"shared\" {\n    path = %q\n  }\n}\n", vol))
	a := startAgent(t, "-config", cfg)

	job := func(id, source string) string {
		return writeFile(t, id+".hcl", fmt.Sprintf(`job %q {
  type = "batch"
  group "g" {
    volume "data" {
      type   = "host"
      source = %q
    }
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo from-the-task > /data/out"]
      }
      volume_mount {
        volume      = "data"
        destination = "/data"
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, source))
	}
	if res := a.run(t, "job", "run", job("writer", "shared")); res.Code != 0 {
		t.Fatalf("job run exited %d\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	waitFor(t, 30*time.Second, "the task's file in the host directory", func() (bool, string) {
		b, err := os.ReadFile(filepath.Join(vol, "out"))
		return err == nil && string(b) == "from-the-task\n", fmt.Sprintf("%q %v; allocs %v", b, err, countStatus(a.jobAllocs(t, "writer")))
	})

	res := a.run(t, "job", "run", job("nowhere", "absent"))
	if res.Code != 2 || !strings.Contains(res.Stdout, `Constraint "missing compatible host volumes": 1 nodes excluded by filter`) {
		t.Fatalf("job run of an unplaceable volume exited %d, want 2 with the filter reason\nstdout:\n%s\nstderr:\n%s", res.Code, res.Stdout, res.Stderr)
	}
	var nodes []struct{ ID string }
	a.getJSON(t, "/v1/nodes", &nodes)
	if len(nodes) != 1 {
		t.Fatalf("nodes %v", nodes)
	}
	if st := a.run(t, "node", "status", nodes[0].ID); !strings.Contains(st.Stdout, "shared") || !strings.Contains(st.Stdout, vol) {
		t.Fatalf("node status lacks the host volume:\n%s", st.Stdout)
	}
}
