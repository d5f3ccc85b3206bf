package exec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskconfig"
)

// ConfigSpec is the schema of an exec task's `config` block.
var ConfigSpec = []sdk.ConfigField{
	{Name: "command", Type: sdk.ConfigTypeString, Required: true,
		Description: "program to run inside the chroot: an absolute path, a path relative to the task directory (local/app), or a name looked up in /local and the task's PATH"},
	{Name: "args", Type: sdk.ConfigTypeStringList,
		Description: "arguments passed to the command"},
}

// PluginConfigSpec is the schema of the agent's
// `plugin "exec" { config { ... } }` block.
var PluginConfigSpec = []sdk.ConfigField{
	{Name: "enabled", Type: sdk.ConfigTypeBool,
		Description: "run exec tasks on this client (default true); when false the driver reports itself undetected so nothing is placed here for it"},
	{Name: "chroot_paths", Type: sdk.ConfigTypeStringList,
		Description: "host paths bind-mounted read-only at the same place in every task's chroot (default /bin, /etc, /lib, /lib64, /sbin, /usr)"},
	{Name: "default_user", Type: sdk.ConfigTypeString,
		Description: "user tasks run as when they set no `user` (default nobody)"},
}

// DefaultChrootPaths is what a task sees of the host unless the agent
// configures chroot_paths: enough to run dynamically linked programs and
// a shell, and nothing that holds user data.
var DefaultChrootPaths = []string{"/bin", "/etc", "/lib", "/lib64", "/sbin", "/usr"}

// DefaultUser is who tasks run as unless the task or the agent says.
const DefaultUser = "nobody"

// reservedPaths are the chroot's own mount points; a chroot path there
// would hide them or be hidden.
var reservedPaths = []string{"/alloc", "/dev", "/local", "/proc", "/secrets", "/tmp"}

// TaskConfig is a decoded, validated task config block.
type TaskConfig = taskconfig.Command

// ValidateConfig reports every problem of an exec task config block, for
// `job validate` and for StartTask.
func ValidateConfig(cfg map[string]interface{}) error {
	_, err := ParseConfig(cfg)
	return err
}

// ParseConfig decodes a task config block; see taskconfig.ParseCommand.
func ParseConfig(cfg map[string]interface{}) (*TaskConfig, error) {
	return taskconfig.ParseCommand(Name, cfg, ConfigSpec)
}

// pluginConfig is the decoded agent-level configuration.
type pluginConfig struct {
	Enabled     bool
	ChrootPaths []string
	DefaultUser string
}

// parsePluginConfig applies the defaults to the agent's plugin block.
func parsePluginConfig(cfg map[string]interface{}) (*pluginConfig, error) {
	pc := &pluginConfig{ChrootPaths: DefaultChrootPaths, DefaultUser: DefaultUser}
	block := taskconfig.Plugin(Name)
	errs := block.UnknownKeys(cfg, PluginConfigSpec)
	enabled, err := block.Bool(cfg, "enabled", true)
	if err != nil {
		errs = append(errs, err)
	}
	pc.Enabled = enabled
	if v, ok := cfg["chroot_paths"]; ok && v != nil {
		paths, err := block.StringList("chroot_paths", v)
		if err != nil {
			errs = append(errs, err)
		}
		for i, p := range paths {
			if err := checkChrootPath(p); err != nil {
				errs = append(errs, fmt.Errorf(`%s: plugin config "chroot_paths"[%d]: %w`, Name, i, err))
			}
		}
		pc.ChrootPaths = paths
	}
	if _, ok := cfg["default_user"]; ok {
		u, err := block.RequiredString(cfg, "default_user", "a user name")
		if err != nil {
			errs = append(errs, err)
		}
		pc.DefaultUser = u
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return pc, nil
}

func checkChrootPath(p string) error {
	switch {
	case !filepath.IsAbs(p):
		return fmt.Errorf("%q must be an absolute path", p)
	case filepath.Clean(p) != p:
		return fmt.Errorf("%q must be a clean path (%q)", p, filepath.Clean(p))
	case p == "/":
		return errors.New(`"/" would give tasks the whole host filesystem`)
	}
	for _, r := range reservedPaths {
		if p == r || strings.HasPrefix(p, r+"/") || strings.HasPrefix(r, p+"/") {
			return fmt.Errorf("%q overlaps the chroot's own %s; reserved: %s", p, r, strings.Join(reservedPaths, ", "))
		}
	}
	return nil
}

// existingPaths drops chroot paths the host lacks (the defaults include
// /lib64, which not every distribution has) and orders the rest parents
// first, so that /usr is mounted before a configured /usr/local.
func existingPaths(paths []string) (present, missing []string) {
	for _, p := range paths {
		if _, err := os.Lstat(p); err != nil {
			missing = append(missing, p)
			continue
		}
		present = append(present, p)
	}
	slices.Sort(present)
	return slices.Compact(present), missing
}
