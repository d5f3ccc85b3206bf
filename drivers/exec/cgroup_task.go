package exec

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

// taskCgroup is one task's cgroup. It is persisted in the task handle as
// is, so a restarted plugin reopens the same directories.
type taskCgroup struct {
	Version int `json:"version"`
	// Dir is the cgroup's directory on v2.
	Dir string `json:"dir,omitempty"`
	// V1 is the cgroup's directory in each controller's hierarchy on v1.
	V1 map[string]string `json:"v1,omitempty"`
}

// dirs lists each directory once; co-mounted v1 controllers share one.
func (c *taskCgroup) dirs() []string {
	if c.Version == 2 {
		return []string{c.Dir}
	}
	var out []string
	for _, d := range c.V1 {
		out = append(out, d)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dir is where controller's files are.
func (c *taskCgroup) dir(controller string) string {
	if c.Version == 2 {
		return c.Dir
	}
	return c.V1[controller]
}

// setLimits applies the task's resources. MemoryMB is the hard limit
// unless MemoryMaxMB raises it, in which case MemoryMB becomes the soft
// limit the kernel reclaims towards under pressure (v1) or the memory it
// protects from reclaim (v2), as Nomad's memory oversubscription does.
// Swap is capped at zero where the kernel lets us: a task over its limit
// must be OOM-killed, not slowly swapped.
func (c *taskCgroup) setLimits(res *sdk.Resources) error {
	if res == nil {
		return nil
	}
	hard, soft := res.MemoryMB, int64(0)
	if res.MemoryMaxMB > res.MemoryMB && res.MemoryMB > 0 {
		hard, soft = res.MemoryMaxMB, res.MemoryMB
	}
	var writes [][3]string // controller, file, value
	if c.Version == 2 {
		if hard > 0 {
			writes = append(writes, [3]string{"memory", "memory.max", mb(hard)})
			if soft > 0 {
				writes = append(writes, [3]string{"memory", "memory.low", mb(soft)})
			}
		}
		if res.CPUShares > 0 {
			writes = append(writes, [3]string{"cpu", "cpu.weight", strconv.FormatUint(cpuWeight(res.CPUShares), 10)})
		}
	} else {
		if hard > 0 {
			writes = append(writes, [3]string{"memory", "memory.limit_in_bytes", mb(hard)})
			if soft > 0 {
				writes = append(writes, [3]string{"memory", "memory.soft_limit_in_bytes", mb(soft)})
			}
		}
		if res.CPUShares > 0 {
			writes = append(writes, [3]string{"cpu", "cpu.shares", strconv.FormatInt(max(res.CPUShares, 2), 10)})
		}
	}
	for _, w := range writes {
		if err := writeFile(c.dir(w[0]), w[1], w[2]); err != nil {
			return fmt.Errorf("%s: set cgroup limit: %w", Name, err)
		}
	}
	if hard > 0 {
		c.capSwap(hard)
	}
	return nil
}

// capSwap is best effort: the files exist only with swap accounting.
func (c *taskCgroup) capSwap(hardMB int64) {
	if c.Version == 2 {
		_ = writeFile(c.Dir, "memory.swap.max", "0")
		return
	}
	_ = writeFile(c.V1["memory"], "memory.memsw.limit_in_bytes", mb(hardMB))
}

func mb(n int64) string { return strconv.FormatInt(n<<20, 10) }

// cpuWeight maps v1 shares (2..262144, default 1024) onto v2's weight
// (1..10000, default 100) linearly, the conversion runc and systemd use,
// so that relative shares between tasks are kept.
func cpuWeight(shares int64) uint64 {
	shares = min(max(shares, 2), 262144)
	return uint64(1 + ((shares-2)*9999)/262142)
}

// addProc moves pid into the cgroup in every hierarchy.
func (c *taskCgroup) addProc(pid int) error {
	for _, dir := range c.dirs() {
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("%s: join cgroup: %w", Name, err)
		}
	}
	return nil
}

// oomKilled reports whether the kernel's OOM killer has killed a process
// of this cgroup. Both versions count it as oom_kill (v1 since Linux 4.13).
func (c *taskCgroup) oomKilled() bool {
	file := "memory.oom_control"
	if c.Version == 2 {
		file = "memory.events"
	}
	kv, err := readKeyValues(filepath.Join(c.dir("memory"), file))
	return err == nil && kv["oom_kill"] > 0
}

// cgroupUsage is one reading of the cgroup's counters.
type cgroupUsage struct {
	at                      time.Time
	cpuNS, userNS, systemNS uint64
	rss, cache, swap        uint64
	pids                    []int
}

// usage reads the task's memory and CPU counters.
func (c *taskCgroup) usage() (cgroupUsage, error) {
	u := cgroupUsage{at: time.Now()}
	mem, err := readKeyValues(filepath.Join(c.dir("memory"), "memory.stat"))
	if err != nil {
		return u, fmt.Errorf("%s: read memory stats: %w", Name, err)
	}
	if c.Version == 2 {
		u.rss, u.cache = mem["anon"], mem["file"]
		if b, err := os.ReadFile(filepath.Join(c.Dir, "memory.swap.current")); err == nil {
			u.swap, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		}
		cpu, err := readKeyValues(filepath.Join(c.Dir, "cpu.stat"))
		if err != nil {
			return u, fmt.Errorf("%s: read cpu stats: %w", Name, err)
		}
		u.cpuNS, u.userNS, u.systemNS = cpu["usage_usec"]*1000, cpu["user_usec"]*1000, cpu["system_usec"]*1000
	} else {
		// The total_ figures include the cgroup's descendants, should a
		// task create any.
		u.rss, u.cache, u.swap = mem["total_rss"], mem["total_cache"], mem["total_swap"]
		b, err := os.ReadFile(filepath.Join(c.V1["cpuacct"], "cpuacct.usage"))
		if err != nil {
			return u, fmt.Errorf("%s: read cpu stats: %w", Name, err)
		}
		u.cpuNS, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if st, err := readKeyValues(filepath.Join(c.V1["cpuacct"], "cpuacct.stat")); err == nil {
			const nsPerTick = 1e9 / taskproc.ClockTicks
			u.userNS, u.systemNS = st["user"]*nsPerTick, st["system"]*nsPerTick
		}
	}
	u.pids, _ = c.procs()
	return u, nil
}

// procs lists the host pids in the cgroup.
func (c *taskCgroup) procs() ([]int, error) { return readPids(c.dir("memory")) }

func readPids(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// destroy removes the cgroup. The kernel refuses while a process is still
// in it: the task's PID namespace is torn down asynchronously after its
// init dies, so this kills whatever is left and retries until timeout.
func (c *taskCgroup) destroy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, dir := range c.dirs() {
		for {
			err := os.Remove(dir)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				break
			}
			if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
				return fmt.Errorf("%s: remove cgroup %s: %w", Name, dir, err)
			}
			pids, _ := readPids(dir)
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// readKeyValues parses the "key value" lines of a cgroup file.
func readKeyValues(path string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[string]uint64)
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, s.Err()
}
