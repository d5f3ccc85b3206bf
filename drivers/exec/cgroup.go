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
	"sync"
	"syscall"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

// cgroupParent is the directory, below the plugin's own cgroup, that holds
// one cgroup per task, so an operator finds orch's tasks in one place and
// they share whatever limits the agent's own cgroup has.
const cgroupParent = "orch"

// v1Controllers are the cgroup v1 hierarchies a task joins: memory for the
// limit, OOM events and memory stats; cpu for shares; cpuacct for CPU
// stats. Hosts often mount cpu and cpuacct together; each directory is
// then created once.
var v1Controllers = []string{"memory", "cpu", "cpuacct"}

// v2Controllers must be enabled for the task cgroups on a v2 hierarchy.
var v2Controllers = []string{"memory", "cpu"}

// cgroupSystem is how the host's cgroups are laid out, found once when the
// plugin starts.
type cgroupSystem struct {
	version int
	// v2: the unified hierarchy's directory of the plugin's own cgroup.
	v2Own string
	// v1: the plugin's own cgroup directory in each controller's hierarchy.
	v1Own map[string]string

	mu       sync.Mutex
	prepared bool
	// parentV2 is where v2 task cgroups go, settled by prepare.
	parentV2 string
}

// detectCgroups picks v2 when the unified hierarchy offers the memory and
// cpu controllers to the plugin's cgroup, else v1 when the memory, cpu and
// cpuacct hierarchies are mounted. Hybrid hosts mount a unified hierarchy
// with no controllers beside the v1 ones; those get v1.
func detectCgroups(mountinfo, procCgroup string) (*cgroupSystem, error) {
	mounts := parseCgroupMounts(mountinfo)
	own := parseProcCgroup(procCgroup)
	if m, ok := mounts["2"]; ok {
		if p, ok := own["2"]; ok {
			dir := hostCgroupDir(m, p)
			b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
			if err == nil && hasAll(strings.Fields(string(b)), v2Controllers) {
				return &cgroupSystem{version: 2, v2Own: dir}, nil
			}
		}
	}
	s := &cgroupSystem{version: 1, v1Own: make(map[string]string)}
	var missing []string
	for _, c := range v1Controllers {
		m, okM := mounts[c]
		p, okP := own[c]
		if !okM || !okP {
			missing = append(missing, c)
			continue
		}
		s.v1Own[c] = hostCgroupDir(m, p)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: no usable cgroups: the unified (v2) hierarchy does not offer %s to this process, and the v1 hierarchies of %s are not mounted",
			Name, strings.Join(v2Controllers, " and "), strings.Join(missing, ", "))
	}
	return s, nil
}

// cgroupMount is one mounted hierarchy: where it is and which cgroup path
// its root is (not "/" inside a container that mounts a sub-tree).
type cgroupMount struct{ point, root string }

// parseCgroupMounts maps each v1 controller, and "2" for the unified
// hierarchy, to its mount from /proc/self/mountinfo.
func parseCgroupMounts(mountinfo string) map[string]cgroupMount {
	out := make(map[string]cgroupMount)
	s := bufio.NewScanner(strings.NewReader(mountinfo))
	for s.Scan() {
		pre, post, ok := strings.Cut(s.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		m := cgroupMount{point: unescapeMount(f[4]), root: unescapeMount(f[3])}
		switch g[0] {
		case "cgroup2":
			if _, seen := out["2"]; !seen {
				out["2"] = m
			}
		case "cgroup":
			for _, opt := range strings.Split(g[2], ",") {
				if slices.Contains(v1Controllers, opt) {
					if _, seen := out[opt]; !seen {
						out[opt] = m
					}
				}
			}
		}
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes of space, tab, newline
// and backslash.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseProcCgroup maps each v1 controller, and "2", to the process's
// cgroup path from /proc/self/cgroup.
func parseProcCgroup(procCgroup string) map[string]string {
	out := make(map[string]string)
	for _, line := range strings.Split(procCgroup, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			out["2"] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

func hostCgroupDir(m cgroupMount, path string) string {
	if m.root != "/" {
		if rel, ok := strings.CutPrefix(path, m.root); ok && (rel == "" || rel[0] == '/') {
			path = rel
		}
	}
	return filepath.Join(m.point, path)
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// prepare creates the orch parent cgroup once. On v2 a cgroup that holds
// processes cannot also hand controllers to children (the "no internal
// processes" rule), so when the plugin's own cgroup is such a one the
// parent goes to the hierarchy's root instead, which is exempt.
func (s *cgroupSystem) prepare() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prepared {
		return nil
	}
	if s.version == 1 {
		for _, own := range s.v1Own {
			if err := os.MkdirAll(filepath.Join(own, cgroupParent), 0o755); err != nil {
				return fmt.Errorf("%s: create cgroup parent: %w", Name, err)
			}
		}
		s.prepared = true
		return nil
	}
	enable := "+" + strings.Join(v2Controllers, " +")
	base := s.v2Own
	if err := writeFile(base, "cgroup.subtree_control", enable); err != nil {
		if !errors.Is(err, syscall.EBUSY) {
			return fmt.Errorf("%s: enable cgroup controllers: %w", Name, err)
		}
		base = v2Root(s.v2Own)
	}
	parent := filepath.Join(base, cgroupParent)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("%s: create cgroup parent: %w", Name, err)
	}
	if err := writeFile(parent, "cgroup.subtree_control", enable); err != nil {
		return fmt.Errorf("%s: enable cgroup controllers in %s: %w", Name, parent, err)
	}
	s.parentV2, s.prepared = parent, true
	return nil
}

// v2Root walks up from dir to the hierarchy's root: the last directory
// that still has a cgroup.controllers file.
func v2Root(dir string) string {
	for {
		up := filepath.Dir(dir)
		if up == dir {
			return dir
		}
		if _, err := os.Stat(filepath.Join(up, "cgroup.controllers")); err != nil {
			return dir
		}
		dir = up
	}
}

// create makes the cgroup of one task and applies its limits.
func (s *cgroupSystem) create(name string, res *sdk.Resources) (*taskCgroup, error) {
	if err := s.prepare(); err != nil {
		return nil, err
	}
	cg := &taskCgroup{Version: s.version}
	if s.version == 2 {
		cg.Dir = filepath.Join(s.parentV2, name)
	} else {
		cg.V1 = make(map[string]string, len(s.v1Own))
		for c, own := range s.v1Own {
			cg.V1[c] = filepath.Join(own, cgroupParent, name)
		}
	}
	for _, dir := range cg.dirs() {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			_ = cg.destroy(time.Second)
			return nil, fmt.Errorf("%s: create cgroup: %w", Name, err)
		}
	}
	if err := cg.setLimits(res); err != nil {
		_ = cg.destroy(time.Second)
		return nil, err
	}
	return cg, nil
}

// cgroupName turns a task ID ("<alloc>/<task>/<random>") into a directory
// name: slashes would nest cgroups, and odd characters in a task name
// would make the directory awkward for operators.
func cgroupName(taskID string) string {
	b := []byte(taskID)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '/':
			b[i] = '.'
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

func writeFile(dir, name, value string) error {
	if err := os.WriteFile(filepath.Join(dir, name), []byte(value), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
