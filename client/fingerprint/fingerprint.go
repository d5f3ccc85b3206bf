package fingerprint

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// NomadVersion is the Nomad release whose API and attributes orch speaks;
// it fills `nomad.version` so version constraints written for Nomad hold.
const NomadVersion = "1.9.7"

// OrchVersion is orch's own version (`orch.version`), set at link time.
var OrchVersion = "0.1.0"

// Config says where and how to look.
type Config struct {
	// DataDir is the client's data directory; its volume is the node's disk.
	DataDir string
	// NetworkInterface pins the advertised address to one interface.
	NetworkInterface string
	// DevMode advertises the loopback address, as a dev agent must not be
	// reachable from elsewhere.
	DevMode bool
	// Root prefixes /proc, /sys and /etc so tests can supply fake files;
	// empty means "/".
	Root string
	// HostVolumes are the operator's host_volume blocks by name; each
	// path must be an existing directory (Root does not apply).
	HostVolumes map[string]*structs.ClientHostVolumeConfig
}

// Result is the node's fingerprint.
type Result struct {
	Attributes map[string]string
	// Resources lacks the dynamic port range, which is the client's config.
	Resources *structs.NodeResources
	// HostVolumes are the checked host volumes, nil when none is
	// configured.
	HostVolumes map[string]*structs.ClientHostVolumeConfig
}

// Detect fingerprints the machine. A probe that cannot read what it needs
// fails the whole detection, because a node registered with a wrong size
// would be scheduled wrongly.
func Detect(logger hclog.Logger, cfg Config) (*Result, error) {
	if cfg.Root == "" {
		cfg.Root = "/"
	}
	logger = logger.Named("fingerprint")
	res := &Result{Attributes: make(map[string]string), Resources: &structs.NodeResources{}}
	probes := []struct {
		name string
		fn   func(Config, *Result, hclog.Logger) error
	}{
		{"cpu", detectCPU},
		{"memory", detectMemory},
		{"storage", detectStorage},
		{"host", detectHost},
		{"network", detectNetwork},
		{"host volumes", detectHostVolumes},
	}
	for _, p := range probes {
		if err := p.fn(cfg, res, logger); err != nil {
			return nil, fmt.Errorf("fingerprint %s: %w", p.name, err)
		}
	}
	res.Attributes["nomad.version"] = NomadVersion
	res.Attributes["orch.version"] = OrchVersion
	return res, nil
}

func (c Config) path(parts ...string) string {
	return filepath.Join(append([]string{c.Root}, parts...)...)
}

// fallbackMHz is used when neither cpufreq nor cpuinfo states a clock
// (some ARM and virtual machines): a node with a guessed speed can still
// be scheduled on, and the warning tells the operator why totals look round.
const fallbackMHz = 1000

func detectCPU(cfg Config, res *Result, logger hclog.Logger) error {
	data, err := os.ReadFile(cfg.path("proc", "cpuinfo"))
	if err != nil {
		return fmt.Errorf("read cpuinfo: %w", err)
	}
	info := parseCPUInfo(string(data))
	if info.cores == 0 {
		info.cores = runtime.NumCPU()
	}
	if khz, err := readInt(cfg.path("sys", "devices", "system", "cpu", "cpu0", "cpufreq", "cpuinfo_max_freq")); err == nil && khz > 0 {
		info.mhz = float64(khz) / 1000
	}
	if info.mhz <= 0 {
		logger.Warn("cpu frequency unknown, assuming a default", "mhz", fallbackMHz)
		info.mhz = fallbackMHz
	}
	mhz := int64(info.mhz)
	total := mhz * int64(info.cores)
	a := res.Attributes
	a["cpu.numcores"] = strconv.Itoa(info.cores)
	a["cpu.frequency"] = strconv.FormatInt(mhz, 10)
	a["cpu.totalcompute"] = strconv.FormatInt(total, 10)
	a["cpu.arch"] = runtime.GOARCH
	if info.model != "" {
		a["cpu.modelname"] = info.model
	}
	res.Resources.Cpu.CpuShares = total
	res.Resources.Cpu.TotalCpuCores = uint16(info.cores)
	cores := make([]uint16, info.cores)
	for i := range cores {
		cores[i] = uint16(i)
	}
	res.Resources.Cpu.ReservableCpuCores = cores
	return nil
}

func detectMemory(cfg Config, res *Result, _ hclog.Logger) error {
	data, err := os.ReadFile(cfg.path("proc", "meminfo"))
	if err != nil {
		return fmt.Errorf("read meminfo: %w", err)
	}
	total, err := parseMemTotal(string(data))
	if err != nil {
		return err
	}
	res.Attributes["memory.totalbytes"] = strconv.FormatUint(total, 10)
	res.Resources.Memory.MemoryMB = int64(total / (1 << 20))
	return nil
}

func detectStorage(cfg Config, res *Result, _ hclog.Logger) error {
	if cfg.DataDir == "" {
		return fmt.Errorf("data dir is empty")
	}
	free, total, err := diskSpace(cfg.DataDir)
	if err != nil {
		return err
	}
	res.Attributes["unique.storage.bytesfree"] = strconv.FormatUint(free, 10)
	res.Attributes["unique.storage.bytestotal"] = strconv.FormatUint(total, 10)
	// The volume name is informative only; a missing mounts file is no
	// reason to refuse the node.
	if data, err := os.ReadFile(cfg.path("proc", "self", "mounts")); err == nil {
		if dev := volumeOf(string(data), cfg.DataDir); dev != "" {
			res.Attributes["unique.storage.volume"] = dev
		}
	}
	res.Resources.Disk.DiskMB = int64(free / (1 << 20))
	return nil
}

func detectHost(cfg Config, res *Result, _ hclog.Logger) error {
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("hostname: %w", err)
	}
	a := res.Attributes
	a["unique.hostname"] = host
	a["kernel.name"] = runtime.GOOS
	if data, err := os.ReadFile(cfg.path("proc", "sys", "kernel", "osrelease")); err == nil {
		a["kernel.version"] = trimSpace(string(data))
	}
	if data, err := os.ReadFile(cfg.path("etc", "os-release")); err == nil {
		rel := parseOSRelease(string(data))
		if rel["ID"] != "" {
			a["os.name"] = rel["ID"]
		}
		if rel["VERSION_ID"] != "" {
			a["os.version"] = rel["VERSION_ID"]
		}
	}
	return nil
}

func readInt(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(trimSpace(string(data)), 10, 64)
}
