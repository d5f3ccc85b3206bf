package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/orch-dev/orch/drivers/sdk"
)

// ErrBuiltinName is returned for a third-party plugin that names itself
// after a built-in driver: built-ins cannot be replaced from plugin_dir.
var ErrBuiltinName = errors.New("plugin name is taken by a built-in driver")

// Discover lists the executables in dir that are candidate driver
// plugins, sorted: regular files (or links to them) with an execute bit,
// skipping hidden files. A missing dir holds no plugins.
func Discover(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plugin_dir %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			continue
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// LaunchFile starts the third-party driver plugin at path with orch's
// handshake and connects to it; the driver's name is what its PluginInfo
// says, and may not be a built-in's.
func LaunchFile(path string, logger hclog.Logger) (*Instance, error) {
	cmd := exec.Command(path)
	cmd.Env = hostEnv()
	// Its own group, like the built-ins, so a signal to the agent's group
	// leaves it and its tasks running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginSet(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger.Named(filepath.Base(path)),
	})
	inst, err := connect("", client)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", path, err)
	}
	if _, builtin := builtins[inst.Name]; builtin {
		inst.Kill()
		return nil, fmt.Errorf("plugin %s: driver %q: %w", path, inst.Name, ErrBuiltinName)
	}
	inst.Path = path
	return inst, nil
}

// reattachFile connects to a third-party plugin an earlier agent started
// from path.
func reattachFile(name, path string, rc *plugin.ReattachConfig, logger hclog.Logger) (*Instance, error) {
	if _, builtin := builtins[name]; builtin {
		return nil, fmt.Errorf("plugin %s: driver %q: %w", path, name, ErrBuiltinName)
	}
	inst, err := reattach(name, rc, logger)
	if err != nil {
		return nil, err
	}
	inst.Path = path
	return inst, nil
}

// hostEnv is the agent's environment without the variables that would
// make an orch binary serve a built-in instead.
func hostEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, EnvPlugin+"=") || strings.HasPrefix(kv, envLogLevel+"=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// procStartTime is a process's start time in clock ticks after boot, or
// zero when the process does not exist.
func procStartTime(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces and parentheses; it ends at the
	// last ')'. Start time is field 22, the 20th after it.
	end := bytes.LastIndexByte(b, ')')
	if end < 0 || end+2 > len(b) {
		return 0
	}
	f := strings.Fields(string(b[end+2:]))
	if len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}
