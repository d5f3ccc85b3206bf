package command

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

// appTarGz is the artifact of the lifecycle test: a script that prints
// what the prestart task left in the shared alloc dir.
func appTarGz(t *testing.T) []byte {
	t.Helper()
	script := "#!/bin/sh\necho \"main saw: $(cat \"$NOMAD_ALLOC_DIR/init-ran\")\"\n"
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	if err := tw.WriteHeader(&tar.Header{Name: "run.sh", Mode: 0o755, Size: int64(len(script)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(script)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// finishedAlloc waits for the job's only allocation to end and returns it
// in full.
func finishedAlloc(t *testing.T, c *api.Client, jobID string) *api.Allocation {
	t.Helper()
	var id string
	pollUntil(t, 30*time.Second, jobID+" allocation finished", func() (bool, string) {
		allocs, _, err := c.Jobs().Allocations(jobID, true, nil)
		if err != nil || len(allocs) != 1 {
			return false, fmt.Sprint(len(allocs), err)
		}
		id = allocs[0].ID
		s := allocs[0].ClientStatus
		return s == api.AllocClientStatusComplete || s == api.AllocClientStatusFailed, s
	})
	a, _, err := c.Allocations().Info(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func taskLog(t *testing.T, c *api.Client, a *api.Allocation, task string) string {
	t.Helper()
	frames, errCh := c.AllocFS().Logs(a, false, task, "stdout", "start", 0, nil, nil)
	var out strings.Builder
	for f := range frames {
		out.Write(f.Data)
	}
	if err := <-errCh; err != nil {
		t.Fatalf("logs of %s: %v", task, err)
	}
	return out.String()
}

func firstEvent(t *testing.T, a *api.Allocation, task, typ string) int64 {
	t.Helper()
	st := a.TaskStates[task]
	if st == nil {
		t.Fatalf("no state for task %q", task)
	}
	var types []string
	for _, e := range st.Events {
		if e.Type == typ {
			return e.Time
		}
		types = append(types, e.Type)
	}
	t.Fatalf("task %q has no %q event: %q", task, typ, types)
	return 0
}

// TestDevAgent_PrestartArtifactPoststop runs a raw_exec job whose main
// task needs what its prestart task wrote and an artifact served over
// HTTP, with a poststop task after it.
func TestDevAgent_PrestartArtifactPoststop(t *testing.T) {
	archive := appTarGz(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(archive)
	}))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(archive)

	c := startDevAgent(t)
	registerHCL(t, c, fmt.Sprintf(`
job "life" {
  type = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "init" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 0.2; echo ready > ${NOMAD_ALLOC_DIR}/init-ran"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
    task "main" {
      driver = "raw_exec"
      artifact {
        source      = "%s/app.tar.gz"
        destination = "local/app"
        options {
          checksum = "sha256:%s"
        }
      }
      config {
        command = "${NOMAD_TASK_DIR}/app/run.sh"
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
    task "cleanup" {
      driver = "raw_exec"
      lifecycle {
        hook = "poststop"
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "echo cleaned"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`, srv.URL, hex.EncodeToString(sum[:])))

	a := finishedAlloc(t, c, "life")
	if a.ClientStatus != api.AllocClientStatusComplete {
		t.Fatalf("allocation %s: %s", a.ClientStatus, describeStates(a))
	}
	if got := taskLog(t, c, a, "main"); got != "main saw: ready\n" {
		t.Fatalf("main stdout = %q: it ran before the prestart task finished or without its artifact", got)
	}
	if got := taskLog(t, c, a, "cleanup"); got != "cleaned\n" {
		t.Fatalf("cleanup stdout = %q", got)
	}
	if firstEvent(t, a, "init", "Terminated") > firstEvent(t, a, "main", "Task Setup") {
		t.Error("main task set up before the prestart task terminated")
	}
	if firstEvent(t, a, "main", "Downloading Artifacts") > firstEvent(t, a, "main", "Started") {
		t.Error("main task started before its artifacts were downloaded")
	}
	if firstEvent(t, a, "main", "Terminated") > firstEvent(t, a, "cleanup", "Task Setup") {
		t.Error("poststop task set up before the main task terminated")
	}
}

// TestDevAgent_TaskSettings checks user, kill_signal, leader and logs
// end to end with raw_exec: when the leader exits, the worker is stopped
// with its kill_signal, runs as its user, and the quiet task writes no
// log files.
func TestDevAgent_TaskSettings(t *testing.T) {
	user := "nobody"
	dataDir := t.TempDir()
	if os.Geteuid() != 0 {
		user = "" // only root can run a task as another user
	} else {
		// The task user must reach its task directory, as it would under
		// an agent's usual /opt data dir; test temp dirs are private.
		for _, d := range []string{dataDir, filepath.Dir(dataDir)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := startDevAgentAt(t, dataDir)
	registerHCL(t, c, fmt.Sprintf(`
job "settings" {
  type = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "leader" {
      driver = "raw_exec"
      leader = true
      config {
        command = "/bin/sh"
        args    = ["-c", "sleep 0.5"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
    task "worker" {
      driver       = "raw_exec"
      user         = %q
      kill_signal  = "SIGUSR1"
      kill_timeout = "5s"
      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'echo got usr1; exit 0' USR1; id -un; while :; do sleep 0.05; done"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
    task "quiet" {
      driver = "raw_exec"
      logs {
        disabled = true
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "while :; do echo noise; sleep 0.05; done"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`, user))

	a := finishedAlloc(t, c, "settings")
	if a.ClientStatus != api.AllocClientStatusComplete {
		t.Fatalf("allocation %s: %s", a.ClientStatus, describeStates(a))
	}
	for _, task := range []string{"worker", "quiet"} {
		firstEvent(t, a, task, "Leader Task Dead")
		firstEvent(t, a, task, "Killed")
	}
	out := taskLog(t, c, a, "worker")
	if !strings.Contains(out, "got usr1") {
		t.Errorf("worker stdout = %q: kill_signal SIGUSR1 not delivered", out)
	}
	if user != "" && !strings.HasPrefix(out, user+"\n") {
		t.Errorf("worker stdout = %q: want it to run as %s", out, user)
	}
	if got := taskLog(t, c, a, "quiet"); got != "" {
		t.Errorf("quiet task with logs disabled has stdout %q", got)
	}
}

func describeStates(a *api.Allocation) string {
	var b strings.Builder
	for name, st := range a.TaskStates {
		fmt.Fprintf(&b, "\n  %s: %s failed=%v", name, st.State, st.Failed)
		for _, e := range st.Events {
			fmt.Fprintf(&b, "\n    %s: %s", e.Type, e.DisplayMessage)
		}
	}
	return b.String()
}
