package fingerprint

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/hashicorp/go-hclog"
)

const cpuinfo2x = `processor	: 0
model name	: AMD EPYC
cpu MHz		: 2596.140

processor	: 1
model name	: AMD EPYC
cpu MHz		: 2596.140
`

// fakeRoot writes the given files under a temporary root.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestDetect_FromFakeRoot(t *testing.T) {
	t.Parallel()
	base := map[string]string{
		"proc/cpuinfo":              cpuinfo2x,
		"proc/meminfo":              "MemTotal:        8388608 kB\nMemFree:  1 kB\n",
		"proc/sys/kernel/osrelease": "6.1.0-18-amd64\n",
		"etc/os-release":            "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID=\"12\"\n",
	}
	cases := []struct {
		name      string
		extra     map[string]string
		wantAttrs map[string]string
		wantCPU   int64
		wantMemMB int64
	}{
		{
			name: "clock from cpuinfo",
			wantAttrs: map[string]string{
				"cpu.numcores": "2", "cpu.frequency": "2596", "cpu.totalcompute": "5192",
				"cpu.modelname": "AMD EPYC", "cpu.arch": runtime.GOARCH,
				"memory.totalbytes": strconv.FormatUint(8388608*1024, 10),
				"kernel.name":       runtime.GOOS, "kernel.version": "6.1.0-18-amd64",
				"os.name": "debian", "os.version": "12",
				"unique.network.ip-address": "127.0.0.1",
				"nomad.version":             NomadVersion, "orch.version": OrchVersion,
			},
			wantCPU:   5192,
			wantMemMB: 8192,
		},
		{
			name:      "cpufreq max wins over cpuinfo",
			extra:     map[string]string{"sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": "3500000\n"},
			wantAttrs: map[string]string{"cpu.frequency": "3500", "cpu.totalcompute": "7000"},
			wantCPU:   7000,
			wantMemMB: 8192,
		},
		{
			name:      "no clock anywhere falls back",
			extra:     map[string]string{"proc/cpuinfo": "processor : 0\nBogoMIPS : 50.00\n"},
			wantAttrs: map[string]string{"cpu.numcores": "1", "cpu.frequency": "1000"},
			wantCPU:   1000,
			wantMemMB: 8192,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range tc.extra {
				files[k] = v
			}
			root := fakeRoot(t, files)
			res, err := Detect(hclog.NewNullLogger(), Config{DataDir: t.TempDir(), DevMode: true, Root: root})
			if err != nil {
				t.Fatalf("detect: %v", err)
			}
			for k, v := range tc.wantAttrs {
				if got := res.Attributes[k]; got != v {
					t.Errorf("attribute %s = %q, want %q", k, got, v)
				}
			}
			if res.Resources.Cpu.CpuShares != tc.wantCPU {
				t.Errorf("cpu shares = %d, want %d", res.Resources.Cpu.CpuShares, tc.wantCPU)
			}
			if res.Resources.Memory.MemoryMB != tc.wantMemMB {
				t.Errorf("memory = %d MB, want %d", res.Resources.Memory.MemoryMB, tc.wantMemMB)
			}
			if res.Resources.Disk.DiskMB <= 0 || res.Attributes["unique.storage.bytesfree"] == "" {
				t.Errorf("disk not fingerprinted: %d MB, attrs %v", res.Resources.Disk.DiskMB, res.Attributes)
			}
			if n := res.Resources.Networks; len(n) != 1 || n[0].IP != "127.0.0.1" || n[0].CIDR != "127.0.0.1/32" {
				t.Errorf("networks = %+v", n)
			}
		})
	}
}

func TestDetect_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]string
	}{
		{"no cpuinfo", map[string]string{"proc/meminfo": "MemTotal: 1 kB\n"}},
		{"no MemTotal", map[string]string{"proc/cpuinfo": cpuinfo2x, "proc/meminfo": "MemFree: 1 kB\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Detect(hclog.NewNullLogger(), Config{DataDir: t.TempDir(), DevMode: true, Root: fakeRoot(t, tc.files)})
			if err == nil {
				t.Fatal("detect succeeded with broken inputs")
			}
		})
	}
}

func TestDetect_RealMachine(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("fingerprinting reads /proc")
	}
	res, err := Detect(hclog.NewNullLogger(), Config{DataDir: t.TempDir(), NetworkInterface: loopbackName(t)})
	if err != nil {
		t.Fatalf("detect: %v", err)
	}
	if res.Resources.Cpu.CpuShares <= 0 || res.Resources.Memory.MemoryMB <= 0 || res.Attributes["unique.hostname"] == "" {
		t.Fatalf("implausible fingerprint: %+v %v", res.Resources, res.Attributes)
	}
	if got := res.Attributes["unique.network.ip-address"]; got != "127.0.0.1" {
		t.Fatalf("address of the loopback interface = %q", got)
	}
}

func loopbackName(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/sys/class/net/lo"); err != nil {
		t.Skip("no interface named lo")
	}
	return "lo"
}

func TestParsers(t *testing.T) {
	t.Parallel()
	t.Run("os-release quoting", func(t *testing.T) {
		got := parseOSRelease("# comment\nID='ubuntu'\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu \\\"LTS\\\"\"\n")
		if got["ID"] != "ubuntu" || got["VERSION_ID"] != "22.04" || got["PRETTY_NAME"] != `Ubuntu "LTS"` {
			t.Fatalf("parsed %v", got)
		}
	})
	t.Run("volume is the deepest mount", func(t *testing.T) {
		mounts := "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /var/lib ext4 rw 0 0\n/dev/sdc1 /var/lib/orch\\040data xfs rw 0 0\n"
		cases := map[string]string{
			"/var/lib/orch data/client": "/dev/sdc1",
			"/var/lib/other":            "/dev/sdb1",
			"/var/library":              "/dev/sda1",
		}
		for path, want := range cases {
			if got := volumeOf(mounts, path); got != want {
				t.Errorf("volumeOf(%q) = %q, want %q", path, got, want)
			}
		}
	})
	t.Run("default route", func(t *testing.T) {
		routes := "Iface\tDestination\tGateway\nbr0\t0000A8C0\t00000000\neth1\t00000000\t0100A8C0\n"
		if got := defaultRouteInterface(routes); got != "eth1" {
			t.Fatalf("default route interface = %q", got)
		}
	})
}
