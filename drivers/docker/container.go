package docker

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"

	"github.com/orch-dev/orch/drivers/sdk"
)

// Labels on every container orch creates, so that orch (and an operator)
// can tell its containers from others on the engine.
const (
	labelManaged  = "orch.managed"
	labelAllocID  = "orch.alloc_id"
	labelTaskName = "orch.task_name"
	labelJobName  = "orch.job_name"
	labelTaskID   = "orch.task_id"
)

// Where Nomad's docker driver mounts the allocation's directories; jobs
// written for Nomad read and write these paths.
const (
	containerAllocDir   = "/alloc"
	containerLocalDir   = "/local"
	containerSecretsDir = "/secrets"
)

// containerSpec is everything ContainerCreate takes.
type containerSpec struct {
	name    string
	config  *container.Config
	host    *container.HostConfig
	network *network.NetworkingConfig
}

// buildContainerSpec translates a task into the engine's terms. It does
// no I/O but checking which allocation directories exist.
func buildContainerSpec(cfg *sdk.TaskConfig, tc *TaskConfig) (*containerSpec, error) {
	exposed, bindings, err := portBindings(cfg.Ports, tc.Ports)
	if err != nil {
		return nil, err
	}
	labels := make(map[string]string, len(tc.Labels)+5)
	for k, v := range tc.Labels {
		labels[k] = v
	}
	labels[labelManaged] = "true"
	labels[labelAllocID] = cfg.AllocID
	labels[labelTaskName] = cfg.Name
	labels[labelJobName] = cfg.JobName
	labels[labelTaskID] = cfg.ID

	dirMounts, dirEnv := allocDirMounts(cfg)
	cc := &container.Config{
		Image:        tc.Image,
		Env:          containerEnv(cfg.Env, dirEnv),
		Labels:       labels,
		User:         cfg.User,
		WorkingDir:   tc.WorkDir,
		Hostname:     tc.Hostname,
		Entrypoint:   tc.Entrypoint,
		ExposedPorts: exposed,
	}
	switch {
	case tc.Command != "":
		cc.Cmd = append([]string{tc.Command}, tc.Args...)
	case len(tc.Args) > 0:
		cc.Cmd = tc.Args
	}

	hc := &container.HostConfig{
		NetworkMode:  container.NetworkMode(tc.NetworkMode),
		Privileged:   tc.Privileged,
		PortBindings: bindings,
		Resources:    containerResources(cfg.Resources),
		Mounts:       dirMounts,
		// orch copies the output into its own rotated files; the engine's
		// copy only has to outlive a plugin restart, so it stays small.
		LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{
			"max-size": strconv.Itoa(logMaxSizeMB(cfg)) + "m",
			"max-file": "2",
		}},
	}
	for _, v := range tc.Volumes {
		bind := hostPath(cfg.TaskDir, v.HostPath) + ":" + v.ContainerPath
		if v.ReadOnly {
			bind += ":ro"
		}
		hc.Binds = append(hc.Binds, bind)
	}
	for _, m := range tc.Mounts {
		hc.Mounts = append(hc.Mounts, engineMount(cfg.TaskDir, m))
	}
	// Host volumes come from the client's operator, who offered them by
	// configuring host_volume, so they need no volumes.enabled.
	for _, m := range cfg.Mounts {
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: m.HostPath, Target: m.TaskPath, ReadOnly: m.Readonly})
	}
	return &containerSpec{name: containerName(cfg), config: cc, host: hc}, nil
}

// portBindings publishes each requested port label on the host port the
// scheduler assigned, bound to the address it was assigned on, for TCP
// and UDP as Nomad does.
func portBindings(assigned []sdk.PortMapping, labels []string) (nat.PortSet, nat.PortMap, error) {
	if len(labels) == 0 {
		return nil, nil, nil
	}
	byLabel := make(map[string]sdk.PortMapping, len(assigned))
	names := make([]string, 0, len(assigned))
	for _, p := range assigned {
		byLabel[p.Label] = p
		names = append(names, p.Label)
	}
	sort.Strings(names)
	exposed, bindings := nat.PortSet{}, nat.PortMap{}
	for _, label := range labels {
		p, ok := byLabel[label]
		if !ok {
			have := "none"
			if len(names) > 0 {
				have = strings.Join(names, ", ")
			}
			return nil, nil, fmt.Errorf("docker: config \"ports\": %q is not a port label of the group's network block; this allocation's ports: %s", label, have)
		}
		inner := p.To
		if inner <= 0 {
			inner = p.Value
		}
		for _, proto := range []string{"tcp", "udp"} {
			port := nat.Port(fmt.Sprintf("%d/%s", inner, proto))
			exposed[port] = struct{}{}
			bindings[port] = append(bindings[port], nat.PortBinding{HostIP: p.HostIP, HostPort: strconv.Itoa(p.Value)})
		}
	}
	return exposed, bindings, nil
}

// containerResources sets the memory hard limit to MemoryMB, or, with
// memory_max, reserves MemoryMB and limits at MemoryMaxMB. Swap is not
// allowed beyond the limit so that the limit means what it says.
func containerResources(r *sdk.Resources) container.Resources {
	var res container.Resources
	if r == nil {
		return res
	}
	if r.MemoryMB > 0 {
		res.Memory = r.MemoryMB << 20
		if r.MemoryMaxMB > r.MemoryMB {
			res.MemoryReservation = r.MemoryMB << 20
			res.Memory = r.MemoryMaxMB << 20
		}
		res.MemorySwap = res.Memory
	}
	if r.CPUShares > 0 {
		// The kernel's minimum weight; the engine rejects less.
		res.CPUShares = max(r.CPUShares, 2)
	}
	return res
}

// allocDirMounts binds the allocation's shared directory and the task's
// local and secrets directories where Nomad puts them, and returns the
// NOMAD_* directory variables as seen inside the container. Directories
// the client did not create are skipped.
func allocDirMounts(cfg *sdk.TaskConfig) ([]mount.Mount, map[string]string) {
	dirs := []struct{ host, target, env string }{
		{filepath.Join(cfg.AllocDir, "alloc"), containerAllocDir, "ALLOC_DIR"},
		{filepath.Join(cfg.TaskDir, "local"), containerLocalDir, "TASK_DIR"},
		{filepath.Join(cfg.TaskDir, "secrets"), containerSecretsDir, "SECRETS_DIR"},
	}
	var mounts []mount.Mount
	env := map[string]string{}
	for _, dir := range dirs {
		if cfg.AllocDir == "" && dir.target == containerAllocDir || cfg.TaskDir == "" && dir.target != containerAllocDir {
			continue
		}
		if st, err := os.Stat(dir.host); err != nil || !st.IsDir() {
			continue
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: dir.host, Target: dir.target})
		env["NOMAD_"+dir.env] = dir.target
		env["ORCH_"+dir.env] = dir.target
	}
	return mounts, env
}

// containerEnv is the task's environment with the directory variables
// rewritten to their paths inside the container. Only variables the
// client set are rewritten, so an ORCH_ alias appears only if it did.
func containerEnv(env, dirs map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		if inner, ok := dirs[k]; ok {
			v = inner
		}
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func engineMount(taskDir string, m Mount) mount.Mount {
	em := mount.Mount{Target: m.Target, ReadOnly: m.ReadOnly}
	switch m.Type {
	case "volume":
		em.Type, em.Source = mount.TypeVolume, m.Source
	case "tmpfs":
		em.Type = mount.TypeTmpfs
	default:
		em.Type, em.Source = mount.TypeBind, hostPath(taskDir, m.Source)
	}
	return em
}

// containerName is "<task>-<alloc id>", so an operator running `docker ps`
// sees which allocation a container belongs to. Characters the engine
// does not allow in names become '_'.
func containerName(cfg *sdk.TaskConfig) string {
	suffix := cfg.AllocID
	if suffix == "" {
		suffix = cfg.ID
	}
	name := cfg.Name + "-" + suffix
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, strings.TrimLeft(name, "_.-"))
}

func logMaxSizeMB(cfg *sdk.TaskConfig) int {
	if cfg.LogMaxFileSizeMB > 0 {
		return cfg.LogMaxFileSizeMB
	}
	return defaultLogMaxSizeMB
}
