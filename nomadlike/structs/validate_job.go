package structs

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-version"
)

// constraintOperands are the operands the scheduler knows how to check; an
// empty operand means "=".
var constraintOperands = map[string]bool{
	"": true, "=": true, "==": true, "is": true, "!=": true, "not": true,
	">": true, ">=": true, "<": true, "<=": true,
	"regexp": true, "version": true, "semver": true,
	"set_contains": true, "set_contains_all": true, "set_contains_any": true,
	"is_set": true, "is_not_set": true,
	"distinct_hosts": true, "distinct_property": true,
}

// problems collects every validation failure of an object so the user can
// fix them all in one round, each prefixed with the path of its field.
type problems struct {
	errs []error
}

func (p *problems) addf(field, format string, args ...interface{}) {
	p.errs = append(p.errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
}

func (p *problems) err() error {
	return errors.Join(p.errs...)
}

// Validate reports every problem of a canonical job (defaults already
// filled in), joined in one error; each line names the field, e.g.
// `TaskGroups["web"].Tasks["app"].Driver: missing driver name`.
func (j *Job) Validate() error {
	var p problems
	switch {
	case j.ID == "":
		p.addf("ID", "missing job ID")
	case strings.ContainsAny(j.ID, " \t\n\x00"):
		p.addf("ID", "%q must not contain whitespace or NUL", j.ID)
	case len(j.ID) > 128:
		p.addf("ID", "must be at most 128 characters, got %d", len(j.ID))
	}
	if j.Name == "" {
		p.addf("Name", "missing job name")
	}
	if j.Namespace == "" {
		p.addf("Namespace", "missing namespace")
	}
	if j.Region == "" {
		p.addf("Region", "missing region")
	}
	switch j.Type {
	case JobTypeService, JobTypeBatch, JobTypeSystem, JobTypeSysBatch:
	default:
		p.addf("Type", "%q is not a job type: want service, batch, system or sysbatch", j.Type)
	}
	if j.Priority < JobMinPriority || j.Priority > JobMaxPriority {
		p.addf("Priority", "%d is out of range: want %d to %d", j.Priority, JobMinPriority, JobMaxPriority)
	}
	if len(j.Datacenters) == 0 {
		p.addf("Datacenters", "missing datacenters: list at least one (\"*\" for all)")
	}
	for i, dc := range j.Datacenters {
		if dc == "" {
			p.addf(fmt.Sprintf("Datacenters[%d]", i), "empty datacenter name")
		}
	}
	validateConstraints(&p, "Constraints", j.Constraints)
	validateAffinities(&p, "Affinities", j.Affinities)
	validateSpreads(&p, "Spreads", j.Spreads)
	j.validatePeriodicAndParameterized(&p, time.Now())
	if len(j.TaskGroups) == 0 {
		p.addf("TaskGroups", "missing task groups: a job needs at least one group")
	}
	seen := make(map[string]int, len(j.TaskGroups))
	for i, tg := range j.TaskGroups {
		if tg == nil {
			p.addf(fmt.Sprintf("TaskGroups[%d]", i), "empty task group")
			continue
		}
		if first, dup := seen[tg.Name]; dup && tg.Name != "" {
			p.addf(fmt.Sprintf("TaskGroups[%d].Name", i), "%q is already the name of group %d", tg.Name, first)
		}
		seen[tg.Name] = i
		tg.validate(&p, i)
		tg.validateReschedule(&p, i, j.Type)
		tg.validateVolumes(&p, i, j.Type)
		validateGroupUpdate(&p, j.Type, tg, groupPath(tg, i))
		tg.validateScaling(&p, j)
		tg.validateServices(&p, i)
	}
	if err := ValidatePublishedPorts(j.allServices()); err != nil {
		p.addf("Services", "%v", err)
	}
	return p.err()
}

func (tg *TaskGroup) validate(p *problems, index int) {
	path := fmt.Sprintf("TaskGroups[%d]", index)
	if tg.Name == "" {
		p.addf(path+".Name", "missing group name")
	} else {
		path = fmt.Sprintf("TaskGroups[%q]", tg.Name)
	}
	if tg.Count < 0 {
		p.addf(path+".Count", "%d is negative: want 0 or more", tg.Count)
	}
	if d := tg.ShutdownDelay; d != nil && *d < 0 {
		p.addf(path+".ShutdownDelay", "%s is negative", *d)
	}
	validateConstraints(p, path+".Constraints", tg.Constraints)
	validateAffinities(p, path+".Affinities", tg.Affinities)
	validateSpreads(p, path+".Spreads", tg.Spreads)
	if tg.RestartPolicy != nil {
		tg.RestartPolicy.validate(p, path+".RestartPolicy")
	}
	diskMB := 0
	if tg.EphemeralDisk != nil {
		diskMB = tg.EphemeralDisk.SizeMB
		if diskMB < 0 {
			p.addf(path+".EphemeralDisk.SizeMB", "%d is negative", diskMB)
		}
	}
	if tg.Migrate != nil {
		tg.Migrate.validate(p, path+".Migrate")
	}
	validateNetworks(p, path+".Networks", tg.Networks)
	if len(tg.Tasks) == 0 {
		p.addf(path+".Tasks", "missing tasks: a group needs at least one task")
	}
	seen := make(map[string]int, len(tg.Tasks))
	logMB, mainTasks := 0, 0
	for i, t := range tg.Tasks {
		if t == nil {
			p.addf(fmt.Sprintf("%s.Tasks[%d]", path, i), "empty task")
			continue
		}
		if first, dup := seen[t.Name]; dup && t.Name != "" {
			p.addf(fmt.Sprintf("%s.Tasks[%d].Name", path, i), "%q is already the name of task %d", t.Name, first)
		}
		seen[t.Name] = i
		t.validate(p, path, i)
		if t.IsMain() {
			mainTasks++
		}
		if t.LogConfig != nil && !t.LogConfig.Disabled {
			logMB += t.LogConfig.MaxFiles * t.LogConfig.MaxFileSizeMB
		}
	}
	if mainTasks == 0 && len(tg.Tasks) > 0 {
		p.addf(path+".Tasks", "every task has a lifecycle block: a group needs at least one main task for its hooks to run around")
	}
	if tg.EphemeralDisk != nil && logMB > diskMB {
		p.addf(path+".EphemeralDisk.SizeMB", "%d MB cannot hold the tasks' %d MB of logs: raise it or lower log max_files/max_file_size", diskMB, logMB)
	}
}

func (t *Task) validate(p *problems, groupPath string, index int) {
	path := fmt.Sprintf("%s.Tasks[%d]", groupPath, index)
	if t.Name == "" {
		p.addf(path+".Name", "missing task name")
	} else {
		path = fmt.Sprintf("%s.Tasks[%q]", groupPath, t.Name)
		if strings.ContainsAny(t.Name, "/\\\x00") {
			p.addf(path+".Name", "must not contain '/', '\\' or NUL: it names a directory")
		}
	}
	if t.Driver == "" {
		p.addf(path+".Driver", "missing driver name")
	}
	if t.KillTimeout < 0 {
		p.addf(path+".KillTimeout", "%s is negative", t.KillTimeout)
	}
	if t.ShutdownDelay < 0 {
		p.addf(path+".ShutdownDelay", "%s is negative", t.ShutdownDelay)
	}
	validateConstraints(p, path+".Constraints", t.Constraints)
	validateAffinities(p, path+".Affinities", t.Affinities)
	if t.RestartPolicy != nil {
		t.RestartPolicy.validate(p, path+".RestartPolicy")
	}
	if t.LogConfig != nil {
		if t.LogConfig.MaxFiles < 1 {
			p.addf(path+".LogConfig.MaxFiles", "%d: want 1 or more", t.LogConfig.MaxFiles)
		}
		if t.LogConfig.MaxFileSizeMB < 1 {
			p.addf(path+".LogConfig.MaxFileSizeMB", "%d: want 1 or more", t.LogConfig.MaxFileSizeMB)
		}
	}
	t.Lifecycle.validate(p, path+".Lifecycle")
	for i, a := range t.Artifacts {
		a.validate(p, fmt.Sprintf("%s.Artifacts[%d]", path, i))
	}
	if t.DispatchPayload != nil {
		t.DispatchPayload.validate(p, path+".DispatchPayload")
	}
	r := t.Resources
	if r == nil {
		p.addf(path+".Resources", "missing resources")
		return
	}
	if r.CPU < 1 && r.Cores < 1 {
		p.addf(path+".Resources.CPU", "%d MHz: want at least 1 (or set Cores)", r.CPU)
	}
	if r.CPU > 0 && r.Cores > 0 {
		p.addf(path+".Resources", "set only one of CPU and Cores")
	}
	if r.MemoryMB < 10 {
		p.addf(path+".Resources.MemoryMB", "%d MB: want at least 10", r.MemoryMB)
	}
	if r.MemoryMaxMB != 0 && r.MemoryMaxMB < r.MemoryMB {
		p.addf(path+".Resources.MemoryMaxMB", "%d MB is below MemoryMB (%d MB)", r.MemoryMaxMB, r.MemoryMB)
	}
	validateNetworks(p, path+".Resources.Networks", r.Networks)
}

func (r *RestartPolicy) validate(p *problems, path string) {
	switch r.Mode {
	case RestartPolicyModeDelay, RestartPolicyModeFail:
	default:
		p.addf(path+".Mode", "%q is not a restart mode: want %q or %q", r.Mode, RestartPolicyModeDelay, RestartPolicyModeFail)
	}
	if r.Attempts < 0 {
		p.addf(path+".Attempts", "%d is negative", r.Attempts)
	}
	if r.Delay < 0 {
		p.addf(path+".Delay", "%s is negative", r.Delay)
	}
	if r.Attempts > 0 && r.Interval < time.Duration(r.Attempts)*r.Delay {
		p.addf(path+".Interval", "%s is shorter than %d attempts × %s delay: the attempts could never all happen", r.Interval, r.Attempts, r.Delay)
	}
}

func validateConstraints(p *problems, path string, cs []*Constraint) {
	for i, c := range cs {
		cp := fmt.Sprintf("%s[%d]", path, i)
		if c == nil {
			p.addf(cp, "empty constraint")
			continue
		}
		if !constraintOperands[c.Operand] {
			p.addf(cp+".Operand", "%q is not a constraint operator: want one of =, !=, <, <=, >, >=, regexp, version, semver, set_contains, set_contains_all, set_contains_any, is_set, is_not_set, distinct_hosts, distinct_property", c.Operand)
			continue
		}
		if c.LTarget == "" && c.Operand != "distinct_hosts" {
			p.addf(cp+".LTarget", "missing attribute to compare")
		}
		validateConstraintValue(p, cp+".RTarget", c)
	}
}

// validateConstraintValue rejects values the scheduler could only treat
// as "matches no node", so a typo fails at submit time instead of leaving
// the job unplaceable.
func validateConstraintValue(p *problems, path string, c *Constraint) {
	switch c.Operand {
	case "distinct_property":
		if c.RTarget == "" {
			return
		}
		if n, err := strconv.Atoi(c.RTarget); err != nil || n < 1 {
			p.addf(path, "%q is not a valid distinct_property limit: want a whole number of at least 1", c.RTarget)
		}
	case "regexp":
		if _, err := regexp.Compile(c.RTarget); err != nil {
			p.addf(path, "invalid regexp %q: %v", c.RTarget, err)
		}
	case "version":
		if _, err := version.NewConstraint(c.RTarget); err != nil {
			p.addf(path, "invalid version constraint %q: %v", c.RTarget, err)
		}
	case "semver", "set_contains", "set_contains_all", "set_contains_any":
		validateConstraintList(p, path, c)
	}
}

func validateNetworks(p *problems, path string, ns []*NetworkResource) {
	labels := make(map[string]bool)
	for i, n := range ns {
		np := fmt.Sprintf("%s[%d]", path, i)
		if n == nil {
			p.addf(np, "empty network")
			continue
		}
		if n.MBits < 0 {
			p.addf(np+".MBits", "%d is negative", n.MBits)
		}
		check := func(kind string, ports []Port, reserved bool) {
			for j, port := range ports {
				pp := fmt.Sprintf("%s.%s[%d]", np, kind, j)
				switch {
				case port.Label == "":
					p.addf(pp+".Label", "missing port label")
				case labels[port.Label]:
					p.addf(pp+".Label", "%q is already used by another port", port.Label)
				}
				labels[port.Label] = true
				if reserved && (port.Value < 1 || port.Value > 65535) {
					p.addf(pp+".Value", "%d is not a port: want 1 to 65535", port.Value)
				}
				if port.To < -1 || port.To > 65535 {
					p.addf(pp+".To", "%d is not a port: want -1 to 65535", port.To)
				}
			}
		}
		check("ReservedPorts", n.ReservedPorts, true)
		check("DynamicPorts", n.DynamicPorts, false)
	}
}

func (l *TaskLifecycleConfig) validate(p *problems, path string) {
	if l == nil {
		return
	}
	switch l.Hook {
	case TaskLifecycleHookPrestart, TaskLifecycleHookPoststart, TaskLifecycleHookPoststop:
	default:
		p.addf(path+".Hook", "%q is not a lifecycle hook: want %q, %q or %q", l.Hook,
			TaskLifecycleHookPrestart, TaskLifecycleHookPoststart, TaskLifecycleHookPoststop)
	}
}

func (a *TaskArtifact) validate(p *problems, path string) {
	if a == nil {
		p.addf(path, "empty artifact")
		return
	}
	if strings.TrimSpace(a.GetterSource) == "" {
		p.addf(path+".GetterSource", "missing source URL")
	}
	switch a.GetterMode {
	case GetterModeAny, GetterModeFile, GetterModeDir:
	default:
		p.addf(path+".GetterMode", "%q is not a getter mode: want %q, %q or %q", a.GetterMode, GetterModeAny, GetterModeFile, GetterModeDir)
	}
	if ArtifactDestEscapes(a.RelativeDest) {
		p.addf(path+".RelativeDest", "%q leaves the task directory: want a relative path without \"..\"", a.RelativeDest)
	}
	for _, k := range slices.Sorted(maps.Keys(a.GetterOptions)) {
		v := a.GetterOptions[k]
		if k != "checksum" {
			p.addf(path+".GetterOptions", "unknown option %q: only \"checksum\" is supported", k)
			continue
		}
		if _, _, err := ParseArtifactChecksum(v); err != nil {
			p.addf(path+".GetterOptions[\"checksum\"]", "%v", err)
		}
	}
}

func (m *MigrateStrategy) validate(p *problems, path string) {
	if m.MaxParallel < 1 {
		p.addf(path+".MaxParallel", "%d is below 1: a drain must be able to migrate at least one allocation at a time", m.MaxParallel)
	}
	switch m.HealthCheck {
	case MigrateHealthCheckChecks, MigrateHealthCheckTaskStates:
	default:
		p.addf(path+".HealthCheck", "%q is not a health check: want %q or %q", m.HealthCheck, MigrateHealthCheckChecks, MigrateHealthCheckTaskStates)
	}
	if m.MinHealthyTime < 0 {
		p.addf(path+".MinHealthyTime", "%s is negative", m.MinHealthyTime)
	}
	if m.HealthyDeadline < 0 {
		p.addf(path+".HealthyDeadline", "%s is negative", m.HealthyDeadline)
	}
	if m.HealthyDeadline >= 0 && m.MinHealthyTime > m.HealthyDeadline {
		p.addf(path+".MinHealthyTime", "%s is longer than HealthyDeadline %s", m.MinHealthyTime, m.HealthyDeadline)
	}
}
