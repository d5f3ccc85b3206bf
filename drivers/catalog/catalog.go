package catalog

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/orch-dev/orch/drivers/docker"
	execdriver "github.com/orch-dev/orch/drivers/exec"
	"github.com/orch-dev/orch/drivers/rawexec"
	"github.com/orch-dev/orch/drivers/sdk"
)

const (
	// EnvPlugin names the built-in driver a re-executed orch binary serves.
	EnvPlugin = "ORCH_DRIVER_PLUGIN"
	// envLogLevel carries the agent's log level to the plugin so that it
	// does not format lines the agent would drop.
	envLogLevel = "ORCH_DRIVER_PLUGIN_LOG_LEVEL"
)

// ErrUnknownDriver is returned for a driver name that is not built in.
var ErrUnknownDriver = errors.New("unknown driver")

type builtin struct {
	factory  func(hclog.Logger) sdk.Driver
	validate func(map[string]interface{}) error
	spec     []sdk.ConfigField
}

// builtins is fixed at compile time; third-party drivers come from plugin_dir.
var builtins = map[string]builtin{
	rawexec.Name: {
		factory:  func(l hclog.Logger) sdk.Driver { return rawexec.New(l) },
		validate: rawexec.ValidateConfig,
		spec:     rawexec.ConfigSpec,
	},
	docker.Name: {
		factory:  func(l hclog.Logger) sdk.Driver { return docker.New(l) },
		validate: docker.ValidateConfig,
		spec:     docker.ConfigSpec,
	},
	execdriver.Name: {
		factory:  func(l hclog.Logger) sdk.Driver { return execdriver.New(l) },
		validate: execdriver.ValidateConfig,
		spec:     execdriver.ConfigSpec,
	},
}

// Builtin returns the names of the built-in drivers, sorted.
func Builtin() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookup(name string) (builtin, error) {
	b, ok := builtins[name]
	if !ok {
		return builtin{}, fmt.Errorf("driver %q: %w; built-in drivers: %s", name, ErrUnknownDriver, strings.Join(Builtin(), ", "))
	}
	return b, nil
}

// NewInProcess returns a built-in driver running in the calling process,
// for tests and tools that need no process boundary.
func NewInProcess(name string, logger hclog.Logger) (sdk.Driver, error) {
	b, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return b.factory(logger), nil
}

// ValidateTaskConfig checks a task's driver config block without starting
// the driver, for `job validate` and job registration.
func ValidateTaskConfig(name string, cfg map[string]interface{}) error {
	b, err := lookup(name)
	if err != nil {
		return err
	}
	return b.validate(cfg)
}

// ConfigSpec returns the schema of a built-in driver's task config block.
func ConfigSpec(name string) ([]sdk.ConfigField, error) {
	b, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return b.spec, nil
}

// MaybeServePlugin serves the driver named by ORCH_DRIVER_PLUGIN and exits;
// without that variable it returns at once. Call it before anything else
// in main() and in TestMain, so that the re-executed binary does nothing
// but serve the plugin.
func MaybeServePlugin() {
	// An exec task's shim is this binary too; it becomes the task here.
	execdriver.MaybeRunShim()
	name, ok := os.LookupEnv(EnvPlugin)
	if !ok {
		return
	}
	level := hclog.LevelFromString(os.Getenv(envLogLevel))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	logger := sdk.PluginLogger("plugin", level)
	b, err := lookup(name)
	if err != nil {
		logger.Error("cannot serve driver plugin", "error", err)
		os.Exit(1)
	}
	// Once the agent is gone, writing a log line to our stderr pipe would
	// raise SIGPIPE and kill us with every task's output pipe. Catching
	// it turns that into an EPIPE error; unlike ignoring it, a caught
	// signal is reset to its default in the tasks we exec.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	sdk.Serve(b.factory(logger), logger)
	os.Exit(0)
}

// Instance is a running driver plugin.
type Instance struct {
	// Name is the driver's name as the plugin reports it.
	Name string
	// Path is the executable of a third-party plugin; empty for built-ins,
	// which are the orch binary itself.
	Path string
	// Driver forwards every call to the plugin process.
	Driver sdk.Driver
	// ReattachConfig finds the plugin again after an agent restart; the
	// client persists it (see ReattachState).
	ReattachConfig *plugin.ReattachConfig
	// Kill ends the plugin process. Its tasks keep running but lose their
	// log pipes, so an agent that means to come back should not call it.
	Kill func()
	// Exited reports whether the plugin process has ended.
	Exited func() bool
}

// Launch starts the built-in driver name as a plugin subprocess of the
// running binary and connects to it. The binary's main (or TestMain) must
// call MaybeServePlugin first; otherwise the child would run the whole
// program again instead of serving the plugin.
func Launch(name string, logger hclog.Logger) (*Instance, error) {
	if _, err := lookup(name); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("launch driver %q: find own executable: %w", name, err)
	}
	cmd := exec.Command(exe)
	cmd.Env = pluginEnv(name, logger.GetLevel())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logger = logger.Named(name)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginSet(nil),
		Cmd:              cmd,
		SkipHostEnv:      true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
	})
	return connect(name, client)
}

// Reattach connects to a plugin process started by an earlier agent.
func Reattach(name string, rc *plugin.ReattachConfig, logger hclog.Logger) (*Instance, error) {
	if _, err := lookup(name); err != nil {
		return nil, err
	}
	return reattach(name, rc, logger)
}

// reattach connects to the plugin at rc, which must serve driver name.
func reattach(name string, rc *plugin.ReattachConfig, logger hclog.Logger) (*Instance, error) {
	if rc == nil {
		return nil, fmt.Errorf("reattach driver %q: reattach config is required", name)
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          sdk.PluginSet(nil),
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger.Named(name),
	})
	return connect(name, client)
}

// pluginEnv is the agent's environment, minus any plugin selector it may
// itself have inherited, plus ours. The plugin's tasks never see it: they
// get only their task env.
func pluginEnv(name string, level hclog.Level) []string {
	return append(hostEnv(), EnvPlugin+"="+name, envLogLevel+"="+level.String())
}

// connect dispenses the driver of a started or reattached plugin client
// and checks that it serves name; an empty name accepts any driver.
func connect(name string, client *plugin.Client) (*Instance, error) {
	label := fmt.Sprintf("driver %q", name)
	if name == "" {
		label = "driver plugin"
	}
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("%s: start plugin: %w", label, err)
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("%s: dispense plugin: %w", label, err)
	}
	d, ok := raw.(sdk.Driver)
	if !ok {
		client.Kill()
		return nil, fmt.Errorf("%s: plugin returned %T, not a driver", label, raw)
	}
	// A wrong binary or a stale reattach config would otherwise surface
	// only at the first task.
	info, err := d.PluginInfo()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("%s: plugin info: %w", label, err)
	}
	if name != "" && info.Name != name {
		client.Kill()
		return nil, fmt.Errorf("driver %q: plugin serves driver %q instead", name, info.Name)
	}
	return &Instance{
		Name:           info.Name,
		Driver:         d,
		ReattachConfig: client.ReattachConfig(),
		Kill:           client.Kill,
		Exited:         client.Exited,
	}, nil
}
