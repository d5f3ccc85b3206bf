package exec_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestTaskDirectoriesAreSharedWithTheHost(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	cfg := taskConfig(t, drivertest.Shell(`cat /local/in; echo out > /local/out; echo shared > /alloc/tmp/shared; echo secret > /secrets/s; echo END`))
	if err := os.WriteFile(filepath.Join(cfg.TaskDir, "local", "in"), []byte("from-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, out := runTask(t, d, cfg)
	if !res.Successful() || !strings.Contains(out, "from-host\n") {
		t.Fatalf("exit = %+v, stdout %q; want success reading /local/in", res, out)
	}
	for path, want := range map[string]string{
		filepath.Join(cfg.TaskDir, "local", "out"):            "out\n",
		filepath.Join(cfg.AllocDir, "alloc", "tmp", "shared"): "shared\n",
		filepath.Join(cfg.TaskDir, "secrets", "s"):            "secret\n",
	} {
		b, err := os.ReadFile(path)
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q written by the task", path, b, err, want)
		}
	}
	// The root's mount point stays empty on the host: the tree exists only
	// in the task's mount namespace.
	if entries, err := os.ReadDir(filepath.Join(cfg.TaskDir, ".root")); err != nil || len(entries) != 0 {
		t.Errorf("host side of the chroot mount point holds %v (%v), want it empty", entries, err)
	}
}

func TestCgroupLimits(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	cases := []struct {
		name      string
		res       sdk.Resources
		wantLimit int64
		wantSoft  int64 // 0: unlimited soft limit left alone
		wantCPU   string
	}{
		{name: "memory is the hard limit", res: sdk.Resources{CPUShares: 250, MemoryMB: 64}, wantLimit: 64 << 20, wantCPU: "250"},
		{name: "memory_max raises the hard limit, memory is soft", res: sdk.Resources{CPUShares: 1, MemoryMB: 32, MemoryMaxMB: 96},
			wantLimit: 96 << 20, wantSoft: 32 << 20, wantCPU: "2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, map[string]interface{}{"command": "sleep", "args": []interface{}{"60"}})
			cfg.Resources = &tc.res
			pid := drivertest.PidOf(t, drivertest.Start(t, d, cfg))
			if got := cgroupFile(t, pid, "cpu", "cpu.shares"); got != tc.wantCPU {
				t.Errorf("cpu.shares = %s, want %s", got, tc.wantCPU)
			}
			if got := cgroupFile(t, pid, "memory", "memory.limit_in_bytes"); got != strconv.FormatInt(tc.wantLimit, 10) {
				t.Errorf("memory.limit_in_bytes = %s, want %d", got, tc.wantLimit)
			}
			if tc.wantSoft > 0 {
				if got := cgroupFile(t, pid, "memory", "memory.soft_limit_in_bytes"); got != strconv.FormatInt(tc.wantSoft, 10) {
					t.Errorf("memory.soft_limit_in_bytes = %s, want %d", got, tc.wantSoft)
				}
			}
			procs := strings.Fields(cgroupFile(t, pid, "cpuacct", "cgroup.procs"))
			if !slices.Contains(procs, strconv.Itoa(pid)) {
				t.Errorf("task pid %d is not in its cpuacct cgroup (%v)", pid, procs)
			}
		})
	}
}

func TestOutOfMemoryIsReported(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	// tail keeps the whole last line in memory, and /dev/zero has no
	// newline: 256 MB of it against a 32 MB limit.
	cfg := taskConfig(t, drivertest.Shell("head -c 268435456 /dev/zero | tail; echo END"))
	cfg.Resources = &sdk.Resources{MemoryMB: 32}
	drivertest.Start(t, d, cfg)
	res := drivertest.WaitExit(t, d, cfg.ID, 30*time.Second)
	if !res.OOMKilled {
		t.Errorf("exit = %+v, want OOMKilled", res)
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	// 8 MB held in a shell variable, and a busy loop for CPU.
	cfg := taskConfig(t, drivertest.Shell(`x=$(head -c 8388608 /dev/zero | tr '\0' a); while :; do :; done`))
	drivertest.Start(t, d, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := d.TaskStats(ctx, cfg.ID, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var last *sdk.TaskResourceUsage
	for u := range ch {
		last = u
		if u.MemoryRSS >= 8<<20 && u.CPUPercent > 10 && len(u.Pids) >= 1 {
			cancel()
			break
		}
	}
	if last == nil || last.MemoryRSS < 8<<20 || last.CPUPercent <= 10 || last.CPUTotalMHz < 0 {
		t.Fatalf("last sample %+v; want ≥ 8 MB RSS and a busy CPU", last)
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	cases := []struct {
		name    string
		script  string
		timeout time.Duration
		signal  string
		want    func(*sdk.ExitResult) bool
	}{
		{
			name:    "a task that handles the signal exits by itself",
			script:  `trap 'exit 7' TERM; echo READY > /local/ready; while :; do sleep 1; done`,
			timeout: 10 * time.Second, signal: "SIGTERM",
			want: func(r *sdk.ExitResult) bool { return r.ExitCode == 7 },
		},
		{
			name:    "a task that ignores the signal is killed at the timeout, with its children",
			script:  `trap '' INT; sleep 100 & sleep 100 & setsid sleep 100 & echo READY > /local/ready; wait`,
			timeout: 200 * time.Millisecond,
			want:    func(r *sdk.ExitResult) bool { return r.Signal == int(syscall.SIGKILL) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, drivertest.Shell(tc.script))
			pid := drivertest.PidOf(t, drivertest.Start(t, d, cfg))
			ready := filepath.Join(cfg.TaskDir, "local", "ready")
			drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
				_, err := os.Stat(ready)
				return err == nil, "task never got ready"
			})
			procs := strings.Fields(cgroupFile(t, pid, "memory", "cgroup.procs"))
			began := time.Now()
			if err := d.StopTask(cfg.ID, tc.timeout, tc.signal); err != nil {
				t.Fatalf("StopTask: %v", err)
			}
			if took := time.Since(began); took > tc.timeout+2*time.Second {
				t.Errorf("StopTask took %s with a %s timeout", took, tc.timeout)
			}
			res := drivertest.WaitExit(t, d, cfg.ID, 5*time.Second)
			if !tc.want(res) {
				t.Errorf("exit = %+v", res)
			}
			drivertest.Eventually(t, 5*time.Second, func() (bool, string) {
				var alive []string
				for _, p := range procs {
					n, _ := strconv.Atoi(p)
					if syscall.Kill(n, 0) == nil && !isZombie(n) {
						alive = append(alive, p)
					}
				}
				return len(alive) == 0, "task processes still alive: " + strings.Join(alive, " ")
			})
		})
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	cases := []struct {
		name   string
		config map[string]interface{}
		user   string
		want   string
	}{
		{name: "unknown config key", config: map[string]interface{}{"command": "/bin/true", "comand": "x"},
			want: `exec: unknown config key "comand"; valid keys: args, command`},
		{name: "missing command", config: map[string]interface{}{"args": []interface{}{"x"}},
			want: `exec: config "command" is required`},
		{name: "unknown user", config: map[string]interface{}{"command": "/bin/true"}, user: "nosuchuser",
			want: `exec: user "nosuchuser" not found`},
		{name: "command outside the chroot", config: map[string]interface{}{"command": "/bin/nope"},
			want: `exec: command "/bin/nope" not found in the chroot`},
		{name: "bare command not on PATH", config: map[string]interface{}{"command": "nope"},
			want: `exec: command "nope" not found in the chroot's /local or PATH`},
		{name: "command not executable by the user", config: map[string]interface{}{"command": "/etc/passwd"},
			want: `exec: command "/etc/passwd" not found in the chroot: not executable`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, tc.config)
			cfg.User = tc.user
			_, err := d.StartTask(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("StartTask error = %v, want it to contain %q", err, tc.want)
			}
			if _, err := d.InspectTask(cfg.ID); !errors.Is(err, sdk.ErrTaskNotFound) {
				t.Errorf("InspectTask of a task that failed to start: %v, want ErrTaskNotFound", err)
			}
		})
	}
}
