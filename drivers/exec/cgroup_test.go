package exec

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/sdk"
)

// fakeHierarchy creates the files detectCgroups reads under a temporary
// directory standing in for /sys/fs/cgroup.
func fakeHierarchy(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestDetectCgroups(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		files      map[string]string
		mountinfo  string // ROOT is replaced by the fake hierarchy
		procCgroup string
		wantV      int
		wantV2     string
		wantV1     map[string]string
		wantErr    string
	}{
		{
			name:  "hybrid host: v1 controllers, an empty unified hierarchy",
			files: map[string]string{"unified/cgroup.controllers": ""},
			mountinfo: `30 25 0:26 / ROOT/unified rw,relatime - cgroup2 cgroup2 rw
31 25 0:27 / ROOT/memory rw,relatime - cgroup cgroup rw,memory
32 25 0:28 / ROOT/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
`,
			procCgroup: "4:memory:/agent\n2:cpu,cpuacct:/\n0::/\n",
			wantV:      1,
			wantV1:     map[string]string{"memory": "ROOT/memory/agent", "cpu": "ROOT/cpu,cpuacct", "cpuacct": "ROOT/cpu,cpuacct"},
		},
		{
			name:       "unified host with memory and cpu offered",
			files:      map[string]string{"system.slice/orch.service/cgroup.controllers": "cpuset cpu io memory pids"},
			mountinfo:  "30 25 0:26 / ROOT rw - cgroup2 cgroup2 rw,nsdelegate\n",
			procCgroup: "0::/system.slice/orch.service\n",
			wantV:      2,
			wantV2:     "ROOT/system.slice/orch.service",
		},
		{
			name: "container that mounts its own sub-tree of a v1 hierarchy",
			mountinfo: `31 25 0:27 /docker/abc ROOT/memory rw - cgroup cgroup rw,memory
32 25 0:28 /docker/abc ROOT/cpu rw - cgroup cgroup rw,cpu
33 25 0:29 /docker/abc ROOT/cpuacct rw - cgroup cgroup rw,cpuacct
`,
			procCgroup: "4:memory:/docker/abc\n3:cpu:/docker/abc\n2:cpuacct:/docker/abc/x\n",
			wantV:      1,
			wantV1:     map[string]string{"memory": "ROOT/memory", "cpu": "ROOT/cpu", "cpuacct": "ROOT/cpuacct/x"},
		},
		{
			name:       "nothing usable",
			files:      map[string]string{"cgroup.controllers": "pids"},
			mountinfo:  "30 25 0:26 / ROOT rw - cgroup2 cgroup2 rw\n",
			procCgroup: "0::/\n",
			wantErr:    "the v1 hierarchies of memory, cpu, cpuacct are not mounted",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := fakeHierarchy(t, tc.files)
			s, err := detectCgroups(strings.ReplaceAll(tc.mountinfo, "ROOT", root), tc.procCgroup)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("detectCgroups error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.version != tc.wantV {
				t.Errorf("version = %d, want %d", s.version, tc.wantV)
			}
			if want := strings.ReplaceAll(tc.wantV2, "ROOT", root); s.v2Own != want {
				t.Errorf("v2 dir = %q, want %q", s.v2Own, want)
			}
			for c, want := range tc.wantV1 {
				if want = strings.ReplaceAll(want, "ROOT", root); s.v1Own[c] != want {
					t.Errorf("v1 %s dir = %q, want %q", c, s.v1Own[c], want)
				}
			}
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`/sys/fs/cgroup/memory`: "/sys/fs/cgroup/memory",
		`/mnt/a\040b`:           "/mnt/a b",
		`/mnt/tab\011`:          "/mnt/tab\t",
		`/mnt/back\134slash`:    `/mnt/back\slash`,
		`/mnt/short\04`:         `/mnt/short\04`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCgroupV2Limits checks the files written on a v2 host, which this
// machine cannot provide for real: the fake directories take the writes
// that the kernel would.
func TestCgroupV2Limits(t *testing.T) {
	t.Parallel()
	root := fakeHierarchy(t, map[string]string{"agent/cgroup.controllers": "cpu memory"})
	s, err := detectCgroups("30 25 0:26 / "+root+" rw - cgroup2 cgroup2 rw\n", "0::/agent\n")
	if err != nil {
		t.Fatal(err)
	}
	cg, err := s.create(cgroupName("alloc/web/1"), &sdk.Resources{CPUShares: 1024, MemoryMB: 100, MemoryMaxMB: 200})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "agent", "orch", "alloc.web.1"); cg.Dir != want {
		t.Errorf("cgroup dir = %s, want %s", cg.Dir, want)
	}
	for file, want := range map[string]string{
		"agent/cgroup.subtree_control":           "+memory +cpu",
		"agent/orch/cgroup.subtree_control":      "+memory +cpu",
		"agent/orch/alloc.web.1/memory.max":      "209715200",
		"agent/orch/alloc.web.1/memory.low":      "104857600",
		"agent/orch/alloc.web.1/cpu.weight":      "39",
		"agent/orch/alloc.web.1/memory.swap.max": "0",
	} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", file, b, err, want)
		}
	}
}

func TestCPUWeight(t *testing.T) {
	t.Parallel()
	for shares, want := range map[int64]uint64{1: 1, 2: 1, 1024: 39, 262144: 10000, 1 << 30: 10000} {
		if got := cpuWeight(shares); got != want {
			t.Errorf("cpuWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

func TestCgroupName(t *testing.T) {
	t.Parallel()
	got := cgroupName("0b6e-41/web server/a.b")
	if want := "0b6e-41.web_server.a_b"; got != want {
		t.Errorf("cgroupName = %q, want %q", got, want)
	}
}

func TestReadUsageV2(t *testing.T) {
	t.Parallel()
	root := fakeHierarchy(t, map[string]string{
		"memory.stat":         "anon 4096\nfile 8192\nkernel 1\n",
		"memory.swap.current": "0\n",
		"cpu.stat":            "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
		"cgroup.procs":        "12\n7\n",
		"memory.events":       "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
	})
	cg := &taskCgroup{Version: 2, Dir: root}
	u, err := cg.usage()
	if err != nil {
		t.Fatal(err)
	}
	if u.rss != 4096 || u.cache != 8192 || u.cpuNS != 1_500_000 || u.userNS != 1_000_000 || u.systemNS != 500_000 ||
		!reflect.DeepEqual(u.pids, []int{7, 12}) {
		t.Errorf("usage = %+v", u)
	}
	if !cg.oomKilled() {
		t.Error("oomKilled = false with oom_kill 1 in memory.events")
	}
}
