package docker_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestExitCodeAndLogs(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cases := []struct {
		name       string
		config     map[string]interface{}
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "both streams", config: prog("echo", "to stdout", "to stderr"), wantStdout: "to stdout\n", wantStderr: "to stderr\n"},
		{name: "exit code", config: prog("exit", "3"), wantCode: 3},
		{name: "usage error on stderr", config: prog("nope"), wantCode: 2, wantStderr: "testprog: unknown mode nope\n"},
		{name: "entrypoint and args", config: map[string]interface{}{
			"entrypoint": []interface{}{"/testprog", "echo"}, "args": []interface{}{"via entrypoint", "e"},
		}, wantStdout: "via entrypoint\n", wantStderr: "e\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, tc.config)
			start(t, d, cfg)
			res := drivertest.WaitExit(t, d, cfg.ID, 30*time.Second)
			if res.ExitCode != tc.wantCode || res.OOMKilled || res.Err != nil {
				t.Errorf("exit = %+v, want code %d", res, tc.wantCode)
			}
			// Destroy drains the stream, so the files are complete after it.
			if err := d.DestroyTask(cfg.ID, false); err != nil {
				t.Fatalf("DestroyTask: %v", err)
			}
			for base, want := range map[string]string{cfg.StdoutPath: tc.wantStdout, cfg.StderrPath: tc.wantStderr} {
				got, err := os.ReadFile(logFile(base))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Errorf("%s = %q, want %q", filepath.Base(base), got, want)
				}
			}
		})
	}
}

func TestEnvAndDirectories(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, map[string]interface{}{
		"command":  "/testprog",
		"args":     []interface{}{"env", "GREETING", "NOMAD_TASK_DIR", "NOMAD_ALLOC_DIR"},
		"work_dir": "/local",
	})
	cfg.Env = map[string]string{
		"GREETING":        "hello from the client",
		"NOMAD_TASK_DIR":  filepath.Join(cfg.TaskDir, "local"),
		"NOMAD_ALLOC_DIR": filepath.Join(cfg.AllocDir, "alloc"),
	}
	start(t, d, cfg)
	if res := drivertest.WaitExit(t, d, cfg.ID, 30*time.Second); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	for _, want := range []string{"GREETING=hello from the client\n", "NOMAD_TASK_DIR=/local\n", "NOMAD_ALLOC_DIR=/alloc\n"} {
		fileContains(t, cfg.StdoutPath, want)
	}
}

func TestVolumesMountsWorkDirHostname(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cases := []struct {
		name   string
		config map[string]interface{}
		want   string
	}{
		{name: "relative volume, read-only", config: map[string]interface{}{
			"volumes": []interface{}{"data:/data:ro"}, "command": "/testprog", "args": []interface{}{"cat", "/data/hello.txt"},
		}, want: "hello from the task dir"},
		{name: "bind mount block", config: map[string]interface{}{
			"mount":   []interface{}{map[string]interface{}{"type": "bind", "source": "data", "target": "/mnt", "readonly": true}},
			"command": "/testprog", "args": []interface{}{"cat", "/mnt/hello.txt"},
		}, want: "hello from the task dir"},
		{name: "local dir mounted", config: map[string]interface{}{
			"command": "/testprog", "args": []interface{}{"cat", "/local/conf.txt"},
		}, want: "from local"},
		{name: "work_dir and hostname", config: map[string]interface{}{
			"work_dir": "/local", "hostname": "orch-test-host", "command": "/testprog", "args": []interface{}{"cwd"},
		}, want: "cwd=/local hostname=orch-test-host"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, tc.config)
			for path, content := range map[string]string{"data/hello.txt": "hello from the task dir", "local/conf.txt": "from local"} {
				p := filepath.Join(cfg.TaskDir, path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			start(t, d, cfg)
			if res := drivertest.WaitExit(t, d, cfg.ID, 30*time.Second); !res.Successful() {
				b, _ := os.ReadFile(logFile(cfg.StderrPath))
				t.Fatalf("exit = %+v, stderr %q", res, b)
			}
			fileContains(t, cfg.StdoutPath, tc.want)
		})
	}
}

func TestPortPublished(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	hostPort := freePort(t)
	cfg := taskConfig(t, map[string]interface{}{
		"command": "/testprog", "args": []interface{}{"serve", "8080"},
		"ports": []interface{}{"http"},
	})
	cfg.Ports = []sdk.PortMapping{
		{Label: "http", Value: hostPort, To: 8080, HostIP: "127.0.0.1"},
		{Label: "unused", Value: freePort(t), HostIP: "127.0.0.1"},
	}
	start(t, d, cfg)
	url := "http://127.0.0.1:" + itoa(hostPort) + "/"
	hc := &http.Client{Timeout: 2 * time.Second}
	drivertest.Eventually(t, 15*time.Second, func() (bool, string) {
		resp, err := hc.Get(url)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), "hello from testprog"), "body " + string(b)
	})
}

func TestContainerSettings(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, map[string]interface{}{
		"command": "/testprog", "args": []interface{}{"sleep", "1h"},
		"labels":       []interface{}{map[string]interface{}{"team": "infra", "orch.managed": "spoofed"}},
		"network_mode": "none",
	})
	cfg.Resources = &sdk.Resources{CPUShares: 300, MemoryMB: 32, MemoryMaxMB: 96}
	h := start(t, d, cfg)
	id := containerID(t, h)
	info, err := engine(t).ContainerInspect(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "/web-"+cfg.AllocID {
		t.Errorf("name = %q, want /web-%s", info.Name, cfg.AllocID)
	}
	want := map[string]string{
		"orch.managed": "true", "orch.alloc_id": cfg.AllocID, "orch.task_name": "web",
		"orch.job_name": "dockertest", "team": "infra",
	}
	for k, v := range want {
		if info.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, info.Config.Labels[k], v)
		}
	}
	if info.HostConfig.NetworkMode != "none" {
		t.Errorf("network mode = %q, want none", info.HostConfig.NetworkMode)
	}
	r := info.HostConfig.Resources
	if r.Memory != 96<<20 || r.MemoryReservation != 32<<20 || r.CPUShares != 300 {
		t.Errorf("resources: memory %d reservation %d shares %d; want 96 MiB limit, 32 MiB reservation, 300 shares",
			r.Memory, r.MemoryReservation, r.CPUShares)
	}
}

func TestOOMKilled(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, prog("oom"))
	cfg.Resources = &sdk.Resources{MemoryMB: 16}
	start(t, d, cfg)
	res := drivertest.WaitExit(t, d, cfg.ID, 60*time.Second)
	if !res.OOMKilled || res.ExitCode != 137 {
		t.Errorf("exit = %+v, want OOMKilled with code 137", res)
	}
	if st, err := d.InspectTask(cfg.ID); err != nil || st.State != sdk.TaskStateExited || !st.ExitResult.OOMKilled {
		t.Errorf("InspectTask = %+v, %v; want exited, OOM killed", st, err)
	}
}

func TestStop(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cases := []struct {
		name    string
		args    []string
		signal  string
		timeout time.Duration
		// ready is printed once the program's signal handlers are in place.
		ready    string
		wantCode int
		wantLog  string
		// the shortest and longest time the stop may take
		atLeast, atMost time.Duration
	}{
		{name: "graceful on SIGTERM", args: []string{"sleep", "1h"}, timeout: 20 * time.Second,
			ready: "sleeping", wantLog: "stopping on terminated", atMost: 10 * time.Second},
		{name: "kill_signal given", args: []string{"sleep", "1h"}, signal: "SIGINT", timeout: 20 * time.Second,
			ready: "sleeping", wantLog: "stopping on interrupt", atMost: 10 * time.Second},
		{name: "killed after the timeout", args: []string{"ignoreterm"}, timeout: 700 * time.Millisecond,
			ready: "ignoring SIGTERM", wantCode: 137, wantLog: "ignored terminated",
			atLeast: 700 * time.Millisecond, atMost: 15 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, prog(tc.args...))
			start(t, d, cfg)
			fileContains(t, cfg.StdoutPath, tc.ready)
			began := time.Now()
			if err := d.StopTask(cfg.ID, tc.timeout, tc.signal); err != nil {
				t.Fatalf("StopTask: %v", err)
			}
			took := time.Since(began)
			res := drivertest.WaitExit(t, d, cfg.ID, 5*time.Second)
			if res.ExitCode != tc.wantCode {
				t.Errorf("exit = %+v, want code %d", res, tc.wantCode)
			}
			if took < tc.atLeast || took > tc.atMost {
				t.Errorf("stop took %s, want between %s and %s", took, tc.atLeast, tc.atMost)
			}
			fileContains(t, cfg.StdoutPath, tc.wantLog)
		})
	}
}

func TestSignal(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, prog("signals"))
	start(t, d, cfg)
	fileContains(t, cfg.StdoutPath, "waiting for signals")
	for _, sig := range []struct{ name, want string }{{"SIGHUP", "got hangup"}, {"SIGUSR1", "got user defined signal 1"}} {
		if err := d.SignalTask(cfg.ID, sig.name); err != nil {
			t.Fatalf("SignalTask(%s): %v", sig.name, err)
		}
		fileContains(t, cfg.StdoutPath, sig.want)
	}
	if err := d.SignalTask(cfg.ID, "SIGNOPE"); err == nil {
		t.Error("SignalTask(SIGNOPE) succeeded, want the engine's error")
	}
	if err := d.SignalTask(cfg.ID, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if res := drivertest.WaitExit(t, d, cfg.ID, 10*time.Second); !res.Successful() {
		t.Errorf("exit after SIGTERM = %+v, want 0", res)
	}
	if err := d.SignalTask(cfg.ID, "SIGHUP"); err == nil || !strings.Contains(err.Error(), "has exited") {
		t.Errorf("SignalTask on an exited task = %v, want an error saying it exited", err)
	}
}

func TestDestroyRemovesContainer(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, prog("sleep", "1h"))
	h := start(t, d, cfg)
	id := containerID(t, h)
	if err := d.DestroyTask(cfg.ID, false); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("DestroyTask(force=false) of a running task = %v, want an error", err)
	}
	if err := d.DestroyTask(cfg.ID, true); err != nil {
		t.Fatalf("DestroyTask(force=true): %v", err)
	}
	if _, err := engine(t).ContainerInspect(context.Background(), id); !cerrdefs.IsNotFound(err) {
		t.Errorf("container after destroy: inspect error %v, want not found", err)
	}
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, sdk.ErrTaskNotFound) {
		t.Errorf("InspectTask after destroy = %v, want ErrTaskNotFound", err)
	}
}

func TestStats(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cfg := taskConfig(t, prog("spin", "30s"))
	start(t, d, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := d.TaskStats(ctx, cfg.ID, 200*time.Millisecond)
	if err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
	var last *sdk.TaskResourceUsage
	for u := range ch {
		last = u
		if u.MemoryRSS > 0 && u.CPUPercent > 10 && u.CPUUserMS > 0 {
			return
		}
	}
	t.Fatalf("no sample of a spinning task with memory and CPU use; last %+v", last)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
