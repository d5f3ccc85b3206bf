package taskenv

import (
	"net"
	"strconv"
	"strings"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// Input is everything a task's environment is built from.
type Input struct {
	Node  *structs.Node
	Alloc *structs.Allocation
	Task  *structs.Task
	// Region is the client's region; the job's region when empty.
	Region string
	// AllocDir is the allocation's shared directory (<alloc>/alloc), TaskDir
	// the task's local/ directory and SecretsDir its secrets/ directory, as
	// the task sees them.
	AllocDir   string
	TaskDir    string
	SecretsDir string
}

// TaskEnv is a task's built environment and the node values ${...}
// references resolve against. It is immutable once built.
type TaskEnv struct {
	env  map[string]string
	node map[string]string
}

// aliasPrefix doubles every runtime variable under orch's own name so
// scripts can use either.
const (
	nomadPrefix = "NOMAD_"
	aliasPrefix = "ORCH_"
)

// New builds the environment of in.Task. The task's env block is
// interpolated against the runtime variables, and the runtime variables
// win over an env entry of the same name so a task always learns its
// true identity and limits.
func New(in Input) *TaskEnv {
	e := &TaskEnv{env: make(map[string]string), node: nodeValues(in.Node, in.Region)}
	runtime := runtimeVars(in)
	for k, v := range runtime {
		e.env[k] = v
	}
	if in.Task != nil {
		for k, v := range in.Task.Env {
			if _, reserved := runtime[k]; !reserved {
				e.env[k] = e.Replace(v)
			}
		}
	}
	return e
}

// Map returns a copy of the environment to hand to the driver.
func (e *TaskEnv) Map() map[string]string {
	out := make(map[string]string, len(e.env))
	for k, v := range e.env {
		out[k] = v
	}
	return out
}

func runtimeVars(in Input) map[string]string {
	vars := make(map[string]string)
	set := func(name, value string) { vars[nomadPrefix+name] = value }
	if a := in.Alloc; a != nil {
		set("ALLOC_ID", a.ID)
		if len(a.ID) >= 8 {
			set("SHORT_ALLOC_ID", a.ID[:8])
		}
		set("ALLOC_NAME", a.Name)
		set("ALLOC_INDEX", strconv.Itoa(allocIndex(a.Name)))
		set("GROUP_NAME", a.TaskGroup)
		set("JOB_ID", a.JobID)
		set("NAMESPACE", a.Namespace)
		region := in.Region
		if j := a.Job; j != nil {
			set("JOB_NAME", j.Name)
			if j.ParentID != "" {
				set("JOB_PARENT_ID", j.ParentID)
			}
			if region == "" {
				region = j.Region
			}
		}
		set("REGION", region)
	}
	if in.Node != nil {
		set("DC", in.Node.Datacenter)
	}
	set("ALLOC_DIR", in.AllocDir)
	set("TASK_DIR", in.TaskDir)
	set("SECRETS_DIR", in.SecretsDir)
	if t := in.Task; t != nil {
		set("TASK_NAME", t.Name)
		limitVars(in, set)
		for k, v := range mergedMeta(in) {
			set("META_"+strings.ToUpper(k), v)
			set("META_"+k, v)
		}
	}
	portVars(in, set)
	addAliases(vars)
	return vars
}

// addAliases doubles every NOMAD_ variable under ORCH_. The keys are
// collected before any alias is written: Go may visit keys added during a
// range, and an alias seen that way would be aliased again (ORCH_ORCH_...).
func addAliases(vars map[string]string) {
	nomadKeys := make([]string, 0, len(vars))
	for k := range vars {
		if strings.HasPrefix(k, nomadPrefix) {
			nomadKeys = append(nomadKeys, k)
		}
	}
	for _, k := range nomadKeys {
		vars[aliasPrefix+strings.TrimPrefix(k, nomadPrefix)] = vars[k]
	}
}

// allocIndex parses the index out of "<job>.<group>[<index>]".
func allocIndex(name string) int {
	open := strings.LastIndexByte(name, '[')
	if open < 0 || !strings.HasSuffix(name, "]") {
		return 0
	}
	i, err := strconv.Atoi(name[open+1 : len(name)-1])
	if err != nil {
		return 0
	}
	return i
}

func limitVars(in Input, set func(string, string)) {
	var cpu, mem, memMax int64
	var cores []uint16
	if in.Task.Resources != nil {
		cpu, mem, memMax = int64(in.Task.Resources.CPU), int64(in.Task.Resources.MemoryMB), int64(in.Task.Resources.MemoryMaxMB)
	}
	// The scheduler's grant is authoritative when there is one.
	if in.Alloc != nil && in.Alloc.AllocatedResources != nil {
		ar := in.Alloc.AllocatedResources
		if tr := ar.Tasks[in.Task.Name]; tr != nil {
			cpu, mem, memMax = tr.Cpu.CpuShares, tr.Memory.MemoryMB, tr.Memory.MemoryMaxMB
			cores = tr.Cpu.ReservedCores
		}
	}
	set("CPU_LIMIT", strconv.FormatInt(cpu, 10))
	if len(cores) > 0 {
		set("CPU_CORES", structs.FormatCPUSet(cores))
	}
	set("MEMORY_LIMIT", strconv.FormatInt(mem, 10))
	if memMax > 0 {
		set("MEMORY_MAX_LIMIT", strconv.FormatInt(memMax, 10))
	}
}

// mergedMeta layers job, group and task meta, the most specific winning.
func mergedMeta(in Input) map[string]string {
	out := make(map[string]string)
	if in.Alloc != nil && in.Alloc.Job != nil {
		j := in.Alloc.Job
		for k, v := range j.Meta {
			out[k] = v
		}
		if tg := j.LookupTaskGroup(in.Alloc.TaskGroup); tg != nil {
			for k, v := range tg.Meta {
				out[k] = v
			}
		}
	}
	for k, v := range in.Task.Meta {
		out[k] = v
	}
	return out
}

// portVars exports every labelled port the allocation was granted, from
// the group's port mappings and from any network blocks.
func portVars(in Input, set func(string, string)) {
	if in.Alloc == nil || in.Alloc.AllocatedResources == nil {
		return
	}
	taskName := ""
	if in.Task != nil {
		taskName = in.Task.Name
	}
	for _, p := range in.Alloc.AllocatedResources.TaskPorts(taskName) {
		name := envSafe(p.Label)
		inner := p.Value
		if p.To > 0 {
			inner = p.To
		}
		set("PORT_"+name, strconv.Itoa(inner))
		set("HOST_PORT_"+name, strconv.Itoa(p.Value))
		set("IP_"+name, p.HostIP)
		set("ADDR_"+name, net.JoinHostPort(p.HostIP, strconv.Itoa(p.Value)))
	}
}

// envSafe replaces what may not appear in a variable name with '_'.
func envSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}

// nodeValues flattens the node into the keys ${...} may name.
func nodeValues(n *structs.Node, region string) map[string]string {
	out := make(map[string]string)
	if n == nil {
		return out
	}
	for k, v := range n.Attributes {
		out["attr."+k] = v
	}
	for k, v := range n.Meta {
		out["meta."+k] = v
	}
	out["node.unique.id"] = n.ID
	out["node.unique.name"] = n.Name
	out["node.datacenter"] = n.Datacenter
	out["node.class"] = n.NodeClass
	out["node.pool"] = n.NodePool
	if region != "" {
		out["node.region"] = region
	}
	return out
}
