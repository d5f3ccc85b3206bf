package docker

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/shared/taskconfig"
)

// ConfigSpec is the schema of a docker task's `config` block, in the shape
// and with the names of Nomad's docker driver.
var ConfigSpec = []sdk.ConfigField{
	{Name: "image", Type: sdk.ConfigTypeString, Required: true,
		Description: `image to run, e.g. "redis:7" or "registry.example.com/team/app:1.2"`},
	{Name: "command", Type: sdk.ConfigTypeString,
		Description: "command to run instead of the image's CMD"},
	{Name: "args", Type: sdk.ConfigTypeStringList,
		Description: "arguments of the command (or of the image's entrypoint when command is unset)"},
	{Name: "entrypoint", Type: sdk.ConfigTypeStringList,
		Description: "replaces the image's ENTRYPOINT"},
	{Name: "ports", Type: sdk.ConfigTypeStringList,
		Description: "port labels of the group's network block to publish; each maps the host port the scheduler assigned to the port's `to` (or the same number) in the container"},
	{Name: "volumes", Type: sdk.ConfigTypeStringList,
		Description: `bind mounts as "host_path:container_path[:ro]"; a relative host path is relative to the task directory`},
	{Name: "mount", Type: sdk.ConfigTypeBlockList,
		Description: "a mount of type bind, volume or tmpfs",
		Fields:      mountSpec},
	{Name: "network_mode", Type: sdk.ConfigTypeString,
		Description: `"bridge" (default), "host", "none", "container:<name|id>" or a user-defined network`},
	{Name: "labels", Type: sdk.ConfigTypeStringMap,
		Description: "labels added to the container; orch's own orch.* labels take precedence"},
	{Name: "force_pull", Type: sdk.ConfigTypeBool,
		Description: "pull the image even when it is present on the client"},
	{Name: "work_dir", Type: sdk.ConfigTypeString,
		Description: "working directory of the command inside the container"},
	{Name: "hostname", Type: sdk.ConfigTypeString,
		Description: "hostname inside the container"},
	{Name: "auth", Type: sdk.ConfigTypeBlock,
		Description: "credentials for a private registry",
		Fields:      authSpec},
	{Name: "privileged", Type: sdk.ConfigTypeBool,
		Description: "run the container privileged; refused unless the client's plugin config sets allow_privileged = true"},
}

var volumesPluginSpec = []sdk.ConfigField{
	{Name: "enabled", Type: sdk.ConfigTypeBool,
		Description: "allow bind mounts of host paths outside the allocation directory (default false)"},
}

var mountSpec = []sdk.ConfigField{
	{Name: "type", Type: sdk.ConfigTypeString, Description: `"bind" (default), "volume" or "tmpfs"`},
	{Name: "source", Type: sdk.ConfigTypeString, Description: "host path (bind; relative to the task directory) or volume name (volume); unset for tmpfs"},
	{Name: "target", Type: sdk.ConfigTypeString, Required: true, Description: "absolute path inside the container"},
	{Name: "readonly", Type: sdk.ConfigTypeBool, Description: "mount read-only"},
}

var authSpec = []sdk.ConfigField{
	{Name: "username", Type: sdk.ConfigTypeString, Description: "registry user"},
	{Name: "password", Type: sdk.ConfigTypeString, Description: "registry password or token"},
	{Name: "server_address", Type: sdk.ConfigTypeString, Description: "registry address; defaults to the image's registry"},
}

// PluginConfigSpec is the schema of the agent's
// `plugin "docker" { config { ... } }` block.
var PluginConfigSpec = []sdk.ConfigField{
	{Name: "enabled", Type: sdk.ConfigTypeBool,
		Description: "run docker tasks on this client (default true); when false the driver reports itself undetected so nothing is placed here for it"},
	{Name: "allow_privileged", Type: sdk.ConfigTypeBool,
		Description: "let tasks set privileged = true (default false): a privileged container has the host's devices and every capability"},
	{Name: "volumes", Type: sdk.ConfigTypeBlock,
		Description: "host bind mounts (volumes and bind mounts): `volumes { enabled = true }` lets tasks mount any host path; by default only paths inside the allocation directory are allowed",
		Fields:      volumesPluginSpec},
	{Name: "endpoint", Type: sdk.ConfigTypeString,
		Description: `Docker engine address, e.g. "unix:///var/run/docker.sock" (default: $DOCKER_HOST, else that socket)`},
	{Name: "fingerprint_interval", Type: sdk.ConfigTypeString,
		Description: `how often the engine's health is re-checked (default "15s")`},
	{Name: "pull_timeout", Type: sdk.ConfigTypeString,
		Description: `longest an image pull may take (default "5m")`},
	{Name: "pull_activity_timeout", Type: sdk.ConfigTypeString,
		Description: `a pull that reports no progress for this long is cancelled (default "2m")`},
}

// Mount is one decoded `mount` block.
type Mount struct {
	Type     string
	Source   string
	Target   string
	ReadOnly bool
}

// Auth is the decoded `auth` block.
type Auth struct {
	Username      string
	Password      string
	ServerAddress string
}

// Volume is one decoded `volumes` entry.
type Volume struct {
	HostPath, ContainerPath string
	ReadOnly                bool
}

// TaskConfig is a decoded, validated docker task config block.
type TaskConfig struct {
	Image       string
	Command     string
	Args        []string
	Entrypoint  []string
	Ports       []string
	Volumes     []Volume
	Mounts      []Mount
	NetworkMode string
	Labels      map[string]string
	ForcePull   bool
	WorkDir     string
	Hostname    string
	Auth        *Auth
	// Privileged is checked against the client's allow_privileged at
	// StartTask: job validation cannot know which client runs the task.
	Privileged bool
}

// ValidateConfig reports every problem of a docker task config block, for
// `job validate` and for StartTask.
func ValidateConfig(cfg map[string]interface{}) error {
	_, err := ParseConfig(cfg)
	return err
}

// ParseConfig decodes a task config block. Unknown keys are errors: a
// misspelt key would otherwise silently do nothing.
func ParseConfig(cfg map[string]interface{}) (*TaskConfig, error) {
	p := &parser{}
	p.unknownKeys("config", cfg, ConfigSpec)
	tc := &TaskConfig{
		Image:       p.str(cfg, "image"),
		Command:     p.str(cfg, "command"),
		Args:        p.list(cfg, "args"),
		Entrypoint:  p.list(cfg, "entrypoint"),
		Ports:       p.list(cfg, "ports"),
		NetworkMode: p.str(cfg, "network_mode"),
		Labels:      p.stringMap(cfg, "labels"),
		ForcePull:   p.boolean(cfg, "force_pull"),
		WorkDir:     p.str(cfg, "work_dir"),
		Hostname:    p.str(cfg, "hostname"),
		Privileged:  p.boolean(cfg, "privileged"),
	}
	if _, ok := cfg["image"]; !ok {
		p.errorf(`config "image" is required: the image to run, e.g. "redis:7"`)
	} else if strings.TrimSpace(tc.Image) == "" && p.ok("image") {
		p.errorf(`config "image" must not be empty`)
	}
	if tc.WorkDir != "" && !strings.HasPrefix(tc.WorkDir, "/") {
		p.errorf(`config "work_dir" must be an absolute path inside the container, got %q`, tc.WorkDir)
	}
	for i, port := range tc.Ports {
		if strings.TrimSpace(port) == "" {
			p.errorf(`config "ports"[%d] must name a port label of the group's network block`, i)
		}
	}
	for i, v := range p.list(cfg, "volumes") {
		vol, err := parseVolume(v)
		if err != nil {
			p.errorf(`config "volumes"[%d]: %v`, i, err)
			continue
		}
		tc.Volumes = append(tc.Volumes, vol)
	}
	for i, m := range p.blocks(cfg, "mount", false) {
		tc.Mounts = append(tc.Mounts, p.mount(fmt.Sprintf("mount[%d]", i), m))
	}
	if auth := p.blocks(cfg, "auth", true); len(auth) == 1 {
		p.unknownKeys("config auth", auth[0], authSpec)
		tc.Auth = &Auth{
			Username:      p.str(auth[0], "username"),
			Password:      p.str(auth[0], "password"),
			ServerAddress: p.str(auth[0], "server_address"),
		}
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return tc, nil
}

// parseVolume reads "host:container[:ro|rw]".
func parseVolume(s string) (Volume, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Volume{}, fmt.Errorf(`%q must be "host_path:container_path" or "host_path:container_path:ro"`, s)
	}
	v := Volume{HostPath: parts[0], ContainerPath: parts[1]}
	if !strings.HasPrefix(v.ContainerPath, "/") {
		return Volume{}, fmt.Errorf("%q: container path %q must be absolute", s, v.ContainerPath)
	}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			v.ReadOnly = true
		case "rw":
		default:
			return Volume{}, fmt.Errorf(`%q: mode %q must be "ro" or "rw"`, s, parts[2])
		}
	}
	return v, nil
}

func (p *parser) mount(where string, m map[string]interface{}) Mount {
	p.unknownKeys("config "+where, m, mountSpec)
	mt := Mount{
		Type:     p.str(m, "type"),
		Source:   p.str(m, "source"),
		Target:   p.str(m, "target"),
		ReadOnly: p.boolean(m, "readonly"),
	}
	if mt.Type == "" {
		mt.Type = "bind"
	}
	switch mt.Type {
	case "bind", "volume":
		if mt.Source == "" {
			p.errorf(`config %s: "source" is required for a %s mount`, where, mt.Type)
		}
	case "tmpfs":
		if mt.Source != "" {
			p.errorf(`config %s: a tmpfs mount takes no "source"`, where)
		}
	default:
		p.errorf(`config %s: "type" %q must be one of bind, volume, tmpfs`, where, mt.Type)
	}
	if !strings.HasPrefix(mt.Target, "/") {
		p.errorf(`config %s: "target" must be an absolute path inside the container, got %q`, where, mt.Target)
	}
	return mt
}

// hostPath resolves a bind source: relative paths are relative to the
// task directory, as Nomad's are.
func hostPath(taskDir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(taskDir, p)
}

// pluginConfig is the decoded agent-level configuration.
type pluginConfig struct {
	Enabled             bool
	AllowPrivileged     bool
	VolumesEnabled      bool
	Endpoint            string
	FingerprintInterval time.Duration
	PullTimeout         time.Duration
	PullActivityTimeout time.Duration
}

// defaultPluginConfig keeps tasks away from the host unless the operator
// says otherwise, as Nomad's docker driver does: no privileged containers
// and no host paths outside the allocation.
func defaultPluginConfig() *pluginConfig {
	return &pluginConfig{
		Enabled:             true,
		FingerprintInterval: 15 * time.Second,
		PullTimeout:         5 * time.Minute,
		PullActivityTimeout: 2 * time.Minute,
	}
}

func parsePluginConfig(cfg map[string]interface{}) (*pluginConfig, error) {
	p := &parser{}
	p.unknownKeys("plugin config", cfg, PluginConfigSpec)
	pc := defaultPluginConfig()
	pc.Enabled = p.pluginBool("plugin config", cfg, "enabled", pc.Enabled)
	pc.AllowPrivileged = p.pluginBool("plugin config", cfg, "allow_privileged", pc.AllowPrivileged)
	if vols := p.blocks(cfg, "volumes", true); len(vols) == 1 {
		p.unknownKeys("plugin config volumes", vols[0], volumesPluginSpec)
		pc.VolumesEnabled = p.pluginBool("plugin config volumes", vols[0], "enabled", pc.VolumesEnabled)
	}
	pc.Endpoint = p.str(cfg, "endpoint")
	if scheme, _, ok := strings.Cut(pc.Endpoint, "://"); pc.Endpoint != "" && (!ok || !slices.Contains([]string{"unix", "tcp", "http", "https"}, scheme)) {
		p.errorf(`plugin config "endpoint" %q must be unix:///path/to/socket or tcp://host:port`, pc.Endpoint)
	}
	for key, dst := range map[string]*time.Duration{
		"fingerprint_interval":  &pc.FingerprintInterval,
		"pull_timeout":          &pc.PullTimeout,
		"pull_activity_timeout": &pc.PullActivityTimeout,
	} {
		s := p.str(cfg, key)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			p.errorf(`plugin config %q must be a positive duration such as "15s", got %q`, key, s)
			continue
		}
		*dst = d
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return pc, nil
}

// parser collects every problem of a config block rather than stopping at
// the first, so one `job validate` run shows them all.
type parser struct {
	errs []error
	bad  []string // keys that had the wrong type
}

func (p *parser) errorf(format string, args ...interface{}) {
	p.errs = append(p.errs, fmt.Errorf("docker: "+format, args...))
}

func (p *parser) ok(key string) bool { return !slices.Contains(p.bad, key) }

func (p *parser) wrongType(key, want string, v interface{}) {
	p.bad = append(p.bad, key)
	p.errorf("config %q must be %s, got %s", key, want, taskconfig.KindOf(v))
}

func (p *parser) unknownKeys(where string, cfg map[string]interface{}, spec []sdk.ConfigField) {
	valid := make([]string, len(spec))
	for i, f := range spec {
		valid[i] = f.Name
	}
	sort.Strings(valid)
	var unknown []string
	for k := range cfg {
		if !slices.Contains(valid, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		p.errorf("unknown key %q in %s; valid keys: %s", k, where, strings.Join(valid, ", "))
	}
}

func (p *parser) str(cfg map[string]interface{}, key string) string {
	v, ok := cfg[key]
	if !ok || v == nil {
		return ""
	}
	s, isString := v.(string)
	if !isString {
		p.wrongType(key, "a string", v)
	}
	return s
}

// pluginBool decodes an optional boolean of the agent's plugin block,
// naming the block in the error since the agent refuses to start on it.
func (p *parser) pluginBool(where string, cfg map[string]interface{}, key string, def bool) bool {
	v, ok := cfg[key]
	if !ok || v == nil {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		p.errorf("%s %q must be true or false, got %s", where, key, taskconfig.KindOf(v))
		return def
	}
	return b
}

func (p *parser) boolean(cfg map[string]interface{}, key string) bool {
	v, ok := cfg[key]
	if !ok || v == nil {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		p.wrongType(key, "true or false", v)
	}
	return b
}

// list accepts what jobspecs and JSON produce for a list of strings.
// Numbers and booleans are converted, as HCL's list(string) would.
func (p *parser) list(cfg map[string]interface{}, key string) []string {
	v, ok := cfg[key]
	if !ok || v == nil {
		return nil
	}
	var items []interface{}
	switch l := v.(type) {
	case []string:
		return append([]string(nil), l...)
	case []interface{}:
		items = l
	default:
		p.wrongType(key, "a list of strings", v)
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, ok := taskconfig.ScalarString(item)
		if !ok {
			p.errorf("config %q[%d] must be a string, got %s", key, i, taskconfig.KindOf(item))
			continue
		}
		out = append(out, s)
	}
	return out
}

// stringMap accepts `key = { a = "b" }` and the block form `key { a = "b" }`,
// which the jobspec decodes as a list holding one map.
func (p *parser) stringMap(cfg map[string]interface{}, key string) map[string]string {
	ms := p.blocks(cfg, key, true)
	if len(ms) == 0 {
		return nil
	}
	out := make(map[string]string, len(ms[0]))
	for k, v := range ms[0] {
		s, ok := taskconfig.ScalarString(v)
		if !ok {
			p.errorf("config %s.%s must be a string, got %s", key, k, taskconfig.KindOf(v))
			continue
		}
		out[k] = s
	}
	return out
}

// blocks returns the maps of a block key: a map, or a list of maps as the
// jobspec and JSON produce. single restricts it to at most one.
func (p *parser) blocks(cfg map[string]interface{}, key string, single bool) []map[string]interface{} {
	v, ok := cfg[key]
	if !ok || v == nil {
		return nil
	}
	var out []map[string]interface{}
	switch b := v.(type) {
	case map[string]interface{}:
		out = []map[string]interface{}{b}
	case []map[string]interface{}:
		out = b
	case []interface{}:
		for i, item := range b {
			m, isMap := item.(map[string]interface{})
			if !isMap {
				p.errorf("config %s[%d] must be a block, got %s", key, i, taskconfig.KindOf(item))
				return nil
			}
			out = append(out, m)
		}
	default:
		p.wrongType(key, "a block", v)
		return nil
	}
	if single && len(out) > 1 {
		p.errorf("config %q may be given only once, got %d", key, len(out))
		return nil
	}
	return out
}

// ValidatePortLabels reports each label of a task's `ports` that names no
// port of its network blocks (labels), so `job validate` catches what
// StartTask would refuse only once the job is placed. A `ports` value of
// the wrong type is left to ValidateConfig.
func ValidatePortLabels(cfg map[string]interface{}, labels []string) error {
	p := &parser{}
	ports := p.list(cfg, "ports")
	if len(p.errs) > 0 {
		return nil
	}
	have := "none"
	if len(labels) > 0 {
		sorted := slices.Clone(labels)
		slices.Sort(sorted)
		have = strings.Join(slices.Compact(sorted), ", ")
	}
	for i, port := range ports {
		if strings.TrimSpace(port) == "" || slices.Contains(labels, port) {
			continue
		}
		p.errorf(`config "ports"[%d]: %q is not a port label of the group's network block; labels defined: %s`, i, port, have)
	}
	return errors.Join(p.errs...)
}
