package exec_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/catalog"
	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

// BenchmarkExecStart measures StartTask to a running task: shim start,
// cgroup, namespaces, chroot mounts, user switch and execve, one task at
// a time. The goal is under 0.2 s; Nomad's exec driver copies a chroot
// for about 7 s.
func BenchmarkExecStart(b *testing.B) {
	d := launchQuiet(b)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		cfg := benchTask(b, b.TempDir(), fmt.Sprintf("start-%d", i))
		b.StartTimer()
		if _, err := d.StartTask(cfg); err != nil {
			b.Fatalf("StartTask: %v", err)
		}
		b.StopTimer()
		if err := d.DestroyTask(cfg.ID, true); err != nil {
			b.Fatalf("DestroyTask: %v", err)
		}
		b.StartTimer()
	}
}

const memTasks = 50

// BenchmarkExecMemory starts 50 tasks at once and reports the time for all
// of them and the proportional memory of every orch process (the plugin,
// and any shim, which should be none) divided by the task count.
func BenchmarkExecMemory(b *testing.B) {
	d := launchQuiet(b)
	var total time.Duration
	var pssKB, orchProcs float64
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		root := b.TempDir()
		cfgs := make([]*sdk.TaskConfig, memTasks)
		for j := range cfgs {
			cfgs[j] = benchTask(b, filepath.Join(root, strconv.Itoa(j)), fmt.Sprintf("mem-%d-%d", i, j))
		}
		b.StartTimer()
		took, err := drivertest.StartAll(d, cfgs)
		total += took
		b.StopTimer()
		if err != nil {
			b.Fatalf("StartTask: %v", err)
		}
		kb, n := orchPSS(b)
		pssKB += kb
		orchProcs += float64(n)
		for _, cfg := range cfgs {
			if err := d.DestroyTask(cfg.ID, true); err != nil {
				b.Fatalf("DestroyTask: %v", err)
			}
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(float64(total.Milliseconds())/n, "ms/50tasks")
	b.ReportMetric(pssKB/1024/n/memTasks, "orch_pss_MB/task")
	b.ReportMetric(orchProcs/n, "orch_procs")
}

func benchTask(b *testing.B, dir, id string) *sdk.TaskConfig {
	b.Helper()
	for _, sub := range []string{"alloc/logs", "web/local"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	return &sdk.TaskConfig{
		ID: id, Name: "web", AllocDir: dir, TaskDir: filepath.Join(dir, "web"),
		Config:     map[string]interface{}{"command": "sleep", "args": []interface{}{"1000"}},
		Resources:  &sdk.Resources{CPUShares: 100, MemoryMB: 64},
		StdoutPath: filepath.Join(dir, "alloc/logs/web.stdout"),
		StderrPath: filepath.Join(dir, "alloc/logs/web.stderr"),
	}
}

// orchPSS sums the Pss of every process running this test binary (which
// plays orch) except the benchmark itself, which plays the agent.
func orchPSS(b *testing.B) (kb float64, procs int) {
	b.Helper()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err != nil || exe != self {
			continue
		}
		procs++
		kb += smapsKB(b, pid, "Pss:")
	}
	return kb, procs
}

func smapsKB(b *testing.B, pid int, key string) float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0 // exited meanwhile
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), key); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb
		}
	}
	return 0
}

// BenchmarkExecTask measures one script-check run inside a running exec
// task (ExecTask of /bin/true over the plugin's gRPC): joining the task's
// namespaces and cgroup, fork, exec and wait.
//
//	go test -run '^$' -bench BenchmarkExecTask -benchtime 200x ./drivers/exec
func BenchmarkExecTask(b *testing.B) {
	d := launchQuiet(b)
	cfg := benchTask(b, b.TempDir(), "exec-task")
	if _, err := d.StartTask(cfg); err != nil {
		b.Fatalf("StartTask: %v", err)
	}
	defer func() { _ = d.DestroyTask(cfg.ID, true) }()
	ed := d.(sdk.ExecTaskDriver)
	for b.Loop() {
		res, err := ed.ExecTask(cfg.ID, []string{"/bin/true"}, 5*time.Second)
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("ExecTask = %+v, %v", res, err)
		}
	}
}

// launchQuiet starts an exec plugin that logs nothing, so a benchmark's
// output is its figures; the plugin is killed when the benchmark ends.
func launchQuiet(b *testing.B) sdk.Driver {
	b.Helper()
	requireRoot(b)
	inst, err := catalog.Launch("exec", hclog.NewNullLogger())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(inst.Kill)
	return inst.Driver
}
