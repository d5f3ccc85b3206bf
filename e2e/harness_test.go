package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// orchBin is the orch binary built once for the whole package by TestMain.
var orchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orch-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	orchBin = filepath.Join(dir, "orch")
	build := exec.Command("go", "build", "-o", orchBin, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building orch:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// agent is an `orch agent -dev` process started as a user would.
type agent struct {
	t       testing.TB
	cmd     *exec.Cmd
	addr    string // http://127.0.0.1:port
	dataDir string
	logPath string
	done    chan struct{}
}

// freePorts reserves n distinct loopback ports. The listeners are closed
// before returning, so a port may in rare cases be taken by someone else
// before the agent binds it; the agent then fails to start and says so.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("reserving a port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startAgent starts a dev agent on free loopback ports and waits until it
// answers /v1/agent/health.
func startAgent(t testing.TB, extraArgs ...string) *agent {
	t.Helper()
	ports := freePorts(t, 3)
	dataDir := t.TempDir()
	a := &agent{
		t:       t,
		addr:    fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		dataDir: dataDir,
		logPath: filepath.Join(dataDir, "agent.log"),
		done:    make(chan struct{}),
	}
	logFile, err := os.Create(a.logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"agent", "-dev",
		"-data-dir", filepath.Join(dataDir, "data"),
		"-http-port", strconv.Itoa(ports[0]),
		"-rpc-port", strconv.Itoa(ports[1]),
		"-serf-port", strconv.Itoa(ports[2]),
		"-log-level", "debug",
	}, extraArgs...)
	a.cmd = exec.Command(orchBin, args...)
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	// Its own process group, so a test failure cannot leave the agent (or
	// tasks that outlive it) attached to the test's terminal.
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("starting agent: %v", err)
	}
	go func() {
		a.cmd.Wait()
		logFile.Close()
		close(a.done)
	}()
	t.Cleanup(a.stop)

	waitFor(t, 20*time.Second, "agent healthy", func() (bool, string) {
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

func (a *agent) logs() string {
	b, _ := os.ReadFile(a.logPath)
	return string(b)
}

// stop interrupts the agent as Ctrl-C would and waits for it to exit.
func (a *agent) stop() {
	select {
	case <-a.done:
		return
	default:
	}
	a.cmd.Process.Signal(os.Interrupt)
	select {
	case <-a.done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.done
		a.t.Errorf("agent did not stop within 20s of SIGINT")
	}
	if a.t.Failed() {
		a.t.Logf("agent log:\n%s", a.logs())
	}
}

// cliResult is what a CLI invocation printed and how it exited.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// run runs the orch CLI against the agent.
func (a *agent) run(t testing.TB, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(orchBin, args...)
	cmd.Env = append(os.Environ(), "ORCH_ADDR="+a.addr, "NOMAD_ADDR=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.Code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("running orch %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// getJSON decodes GET addr+path into out and returns the status code.
func (a *agent) getJSON(t testing.TB, path string, out interface{}) int {
	t.Helper()
	resp, err := http.Get(a.addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("decoding GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}

// waitFor polls cond until it holds or the deadline passes; cond's message
// says what it saw last, for the failure report.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, msg := cond()
		if ok {
			return
		}
		last = msg
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last seen: %s", timeout, what, last)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not a wait for state
	}
}

// allocStub is the part of /v1/job/:id/allocations the tests read.
type allocStub struct {
	ID            string
	Name          string
	NodeID        string
	TaskGroup     string
	DesiredStatus string
	ClientStatus  string
	TaskStates    map[string]struct {
		State    string
		Failed   bool
		Restarts uint64
		Events   []struct {
			Type     string
			ExitCode int
		}
	}
}

func (a *agent) jobAllocs(t testing.TB, jobID string) []allocStub {
	t.Helper()
	var allocs []allocStub
	a.getJSON(t, "/v1/job/"+jobID+"/allocations", &allocs)
	return allocs
}

// countStatus counts allocations by client status.
func countStatus(allocs []allocStub) map[string]int {
	out := map[string]int{}
	for _, a := range allocs {
		out[a.ClientStatus]++
	}
	return out
}

// writeFile writes a jobspec into a temp dir and returns its path.
func writeFile(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
