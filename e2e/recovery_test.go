package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startNonDev starts `orch agent` with args (no -dev) logging to logPath,
// appended so a restarted agent's log follows the first one's, and waits
// until it is healthy.
func startNonDev(t *testing.T, addr, dataDir, logPath string, args ...string) *agent {
	t.Helper()
	a := &agent{t: t, addr: addr, dataDir: dataDir, logPath: logPath, done: make(chan struct{})}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	a.cmd = exec.Command(orchBin, append([]string{"agent", "-log-level", "debug"}, args...)...)
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("starting agent: %v", err)
	}
	go func() {
		_ = a.cmd.Wait()
		logFile.Close()
		close(a.done)
	}()
	t.Cleanup(a.stop)
	waitFor(t, 30*time.Second, "agent healthy", func() (bool, string) {
		select {
		case <-a.done:
			t.Fatalf("agent exited early:\n%s", a.logs())
		default:
		}
		resp, err := http.Get(a.addr + "/v1/agent/health")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	return a
}

// kill9 ends the agent as a crash would: no shutdown code runs.
func (a *agent) kill9() {
	_ = a.cmd.Process.Kill()
	<-a.done
}

var pidLine = regexp.MustCompile(`(?m)^pid (\d+)$`)

// taskPids reads every "pid N" line a task printed to its stdout log on
// the client: one line per start of the task.
func taskPids(t *testing.T, clientData, allocID, task string) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(clientData, "alloc", allocID, "alloc", "logs", task+".stdout.0"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, m := range pidLine.FindAllSubmatch(b, -1) {
		pid, _ := strconv.Atoi(string(m[1]))
		pids = append(pids, pid)
	}
	return pids
}

func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// killDriverPlugins ends the plugin processes a non-dev client agent left
// behind on purpose, found by the variable orch's plugins run with.
func killDriverPlugins(t *testing.T, clientData string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, []byte("ORCH_DRIVER_PLUGIN=")) {
			continue
		}
		// Only plugins this test's agent started: their log level and
		// binary are shared with other tests, but their open files are
		// under this client's data dir.
		if fds, err := os.ReadDir("/proc/" + e.Name() + "/fd"); err == nil {
			for _, fd := range fds {
				if target, err := os.Readlink("/proc/" + e.Name() + "/fd/" + fd.Name()); err == nil && strings.HasPrefix(target, clientData) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					break
				}
			}
		}
	}
}

// serverAndClient is a non-dev server agent and a separate client agent,
// each with its own data dir, on free loopback ports.
type serverAndClient struct {
	root       string
	plugins    []procRef // driver plugins the client agents started
	server     *agent
	client     *agent
	clientData string
	clientAddr string
	clientLog  string
	clientArgs []string
}

func startServerAndClient(t *testing.T) *serverAndClient {
	t.Helper()
	root := t.TempDir()
	ports := freePorts(t, 6)
	sc := &serverAndClient{root: root, clientData: filepath.Join(root, "client")}
	serverData := filepath.Join(root, "server")
	t.Cleanup(func() {
		killDriverPlugins(t, sc.clientData)
		// Idle plugins hold nothing under the data dir; they are known by
		// the agent that started them.
		for _, p := range sc.plugins {
			p.kill()
		}
	})
	sc.server = startNonDev(t, fmt.Sprintf("http://127.0.0.1:%d", ports[0]), serverData, filepath.Join(root, "server.log"),
		"-server", "-bootstrap-expect", "1", "-bind", "127.0.0.1", "-data-dir", serverData,
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]), "-serf-port", strconv.Itoa(ports[2]))
	clientCfg := writeFile(t, "client.hcl", `plugin "raw_exec" {
  config { enabled = true }
}
`)
	sc.clientArgs = []string{"-client", "-servers", fmt.Sprintf("127.0.0.1:%d", ports[1]), "-bind", "127.0.0.1",
		"-data-dir", sc.clientData, "-config", clientCfg,
		"-http-port", strconv.Itoa(ports[3]), "-rpc-port", strconv.Itoa(ports[4]), "-serf-port", strconv.Itoa(ports[5])}
	sc.clientAddr, sc.clientLog = fmt.Sprintf("http://127.0.0.1:%d", ports[3]), filepath.Join(root, "client.log")
	sc.client = startNonDev(t, sc.clientAddr, sc.clientData, sc.clientLog, sc.clientArgs...)
	sc.notePluginsAtCleanup(t)
	return sc
}

// notePluginsAtCleanup remembers the current client agent's children
// before its own cleanup stops it: a non-dev agent leaves its plugins
// running on purpose, and once it is gone they are no longer its children.
func (sc *serverAndClient) notePluginsAtCleanup(t *testing.T) {
	a := sc.client
	t.Cleanup(func() { sc.notePlugins(a) })
}

func (sc *serverAndClient) notePlugins(a *agent) {
	select {
	case <-a.done:
	default:
		sc.plugins = append(sc.plugins, procChildren(a.cmd.Process.Pid)...)
	}
}

// killClient ends the client agent as a crash would, remembering its
// plugins first.
func (sc *serverAndClient) killClient() {
	sc.notePlugins(sc.client)
	sc.client.kill9()
}

// restartClient starts the client agent again over the same data dir.
func (sc *serverAndClient) restartClient(t *testing.T) {
	sc.client = startNonDev(t, sc.clientAddr, sc.clientData, sc.clientLog, sc.clientArgs...)
	sc.notePluginsAtCleanup(t)
}

// TestClientAgentKill9Recovery: a non-dev client agent killed with -9 and
// started again over the same data dir reattaches to its driver plugin
// and tasks: the tasks keep their pids, the job stays running and is
// still stoppable, and a task that exited with code 3 while the agent was
// down is reported with exit code 3.
func TestClientAgentKill9Recovery(t *testing.T) {
	sc := startServerAndClient(t)
	root, server, clientData := sc.root, sc.server, sc.clientData

	trigger := filepath.Join(root, "exit-now")
	jobs := map[string]string{
		"recov": `job "recov" {
  group "g" {
    count = 2
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo pid $$; while :; do sleep 0.2; done"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`,
		"exit3": fmt.Sprintf(`job "exit3" {
  type = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo pid $$; while [ ! -e %s ]; do sleep 0.1; done; exit 3"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`, trigger),
	}
	for name, spec := range jobs {
		if res := server.run(t, "job", "run", writeFile(t, name+".hcl", spec)); res.Code != 0 {
			t.Fatalf("job run %s exited %d:\n%s%s", name, res.Code, res.Stdout, res.Stderr)
		}
	}
	pids := map[string]int{}
	var exit3Alloc string
	waitFor(t, 20*time.Second, "every task printed its pid", func() (bool, string) {
		allocs := append(server.jobAllocs(t, "recov"), server.jobAllocs(t, "exit3")...)
		for _, al := range allocs {
			p := taskPids(t, clientData, al.ID, "t")
			if len(p) != 1 {
				return false, fmt.Sprintf("alloc %s printed pids %v", al.ID, p)
			}
			pids[al.ID] = p[0]
			if strings.HasPrefix(al.Name, "exit3.") {
				exit3Alloc = al.ID
			}
		}
		return len(pids) == 3 && exit3Alloc != "", fmt.Sprintf("pids %v", pids)
	})
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})

	sc.killClient()
	// While the agent is down one task exits on its own, with code 3.
	if err := os.WriteFile(trigger, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "exit3 task gone", func() (bool, string) {
		return !processAlive(pids[exit3Alloc]), "still running"
	})
	sc.restartClient(t)

	waitFor(t, 20*time.Second, "exit code 3 reported after the restart", func() (bool, string) {
		for _, al := range server.jobAllocs(t, "exit3") {
			if al.ID != exit3Alloc {
				continue
			}
			for _, ev := range al.TaskStates["t"].Events {
				if ev.Type == "Terminated" {
					return ev.ExitCode == 3, fmt.Sprintf("terminated with exit code %d", ev.ExitCode)
				}
			}
			return false, fmt.Sprintf("client status %s, no Terminated event yet", al.ClientStatus)
		}
		return false, "alloc not listed"
	})
	if logs := sc.client.logs(); !strings.Contains(logs, "reattached to driver plugin: driver=raw_exec") {
		t.Errorf("the restarted agent did not reattach to the raw_exec plugin; its log:\n%s", logs)
	}
	for _, al := range server.jobAllocs(t, "recov") {
		if al.ClientStatus != "running" || al.TaskStates["t"].Restarts != 0 {
			t.Errorf("alloc %s after restart: %s with %d restarts, want running, never restarted", al.ID, al.ClientStatus, al.TaskStates["t"].Restarts)
		}
		if got := taskPids(t, clientData, al.ID, "t"); len(got) != 1 || got[0] != pids[al.ID] || !processAlive(got[0]) {
			t.Errorf("alloc %s: pids printed %v, want only the original %d, still alive", al.ID, got, pids[al.ID])
		}
	}

	if res := server.run(t, "job", "stop", "recov"); res.Code != 0 {
		t.Fatalf("job stop exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	waitFor(t, 20*time.Second, "recovered tasks stopped", func() (bool, string) {
		for id, pid := range pids {
			if id != exit3Alloc && processAlive(pid) {
				return false, fmt.Sprintf("pid %d of alloc %s still runs", pid, id)
			}
		}
		c := countStatus(server.jobAllocs(t, "recov"))
		return c["complete"] == 2, fmt.Sprint(c)
	})
}

// TestClientAgentKill9RecoveryEveryDriver: a docker, an exec and a raw_exec
// task all survive a kill -9 of the client agent and its restart: the
// container is the same one, no task logs a second start, none counts a
// restart, and the job is still stoppable afterwards.
func TestClientAgentKill9RecoveryEveryDriver(t *testing.T) {
	if err := exec.Command("docker", "info").Run(); err != nil {
		t.Skipf("the Docker engine does not answer (docker info: %v)", err)
	}
	if out, err := exec.Command("make", "-C", "..", "example-image").CombinedOutput(); err != nil {
		t.Fatalf("make example-image: %v\n%s", err, out)
	}
	sc := startServerAndClient(t)
	spec := writeFile(t, "every.hcl", `job "every" {
  group "g" {
    network {
      port "http" {
        to = 8080
      }
    }
    task "web" {
      driver = "docker"
      config {
        image = "orch-example/hello:local"
        ports = ["http"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
    task "iso" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo started; while :; do sleep 0.2; done"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
    task "raw" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo started; while :; do sleep 0.2; done"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`)
	if res := sc.server.run(t, "job", "run", spec); res.Code != 0 {
		t.Fatalf("job run exited %d:\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	allocs := sc.server.jobAllocs(t, "every")
	if len(allocs) != 1 {
		t.Fatalf("want one allocation, got %d", len(allocs))
	}
	id := allocs[0].ID
	container := func() string {
		out, _ := exec.Command("docker", "ps", "-q", "--no-trunc", "--filter", "label=orch.alloc_id="+id).Output()
		return strings.TrimSpace(string(out))
	}
	// startMarks counts how often a task logged its start.
	startMarks := func(task, mark string) int {
		b, _ := os.ReadFile(filepath.Join(sc.clientData, "alloc", id, "alloc", "logs", task+".stdout.0"))
		return strings.Count(string(b), mark)
	}
	marks := map[string]string{"web": "hello listening", "iso": "started", "raw": "started"}
	waitFor(t, 20*time.Second, "every task logged its start", func() (bool, string) {
		got := map[string]int{}
		for task, mark := range marks {
			got[task] = startMarks(task, mark)
		}
		return got["web"] == 1 && got["iso"] == 1 && got["raw"] == 1, fmt.Sprint(got)
	})
	before := container()
	if before == "" {
		t.Fatal("no running container for the allocation")
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", before).Run() })

	sc.killClient()
	sc.restartClient(t)

	waitFor(t, 20*time.Second, "the restarted client reports the allocation running", func() (bool, string) {
		var al allocStub
		sc.server.getJSON(t, "/v1/allocation/"+id, &al)
		return al.ClientStatus == "running", al.ClientStatus
	})
	// All three tasks must be recovered, not started again.
	waitFor(t, 20*time.Second, "the restarted client recovered all three tasks", func() (bool, string) {
		logs := sc.client.logs()
		n := strings.Count(logs, "recovered task")
		return n == 3, fmt.Sprintf("%d tasks recovered; failures logged: %v", n, strings.Contains(logs, "Failed Restoring Task"))
	})
	var al allocStub
	sc.server.getJSON(t, "/v1/allocation/"+id, &al)
	for task, mark := range marks {
		if n := startMarks(task, mark); n != 1 {
			t.Errorf("task %s logged %d starts, want 1: it was restarted", task, n)
		}
		if ts := al.TaskStates[task]; ts.State != "running" || ts.Restarts != 0 {
			t.Errorf("task %s after the restart: %s with %d restarts, want running with none", task, ts.State, ts.Restarts)
		}
	}
	if after := container(); after != before {
		t.Errorf("container changed across the agent restart: %q before, %q after", before, after)
	}

	if res := sc.server.run(t, "job", "stop", "every"); res.Code != 0 {
		t.Fatalf("job stop exited %d: %s%s", res.Code, res.Stdout, res.Stderr)
	}
	waitFor(t, 30*time.Second, "recovered tasks stopped and the container removed", func() (bool, string) {
		var al allocStub
		sc.server.getJSON(t, "/v1/allocation/"+id, &al)
		return al.ClientStatus == "complete" && container() == "", al.ClientStatus
	})
}
