package agent

import (
	"fmt"
	"slices"
	"time"

	"github.com/orch-dev/orch/nomadlike/structs"
)

var (
	validJobTypes        = []string{structs.JobTypeService, structs.JobTypeBatch, structs.JobTypeSystem, structs.JobTypeSysBatch}
	validRestartModes    = []string{structs.RestartPolicyModeDelay, structs.RestartPolicyModeFail}
	validConstraintOpers = []string{"", "=", "==", "is", "!=", "not", ">", ">=", "<", "<=",
		"regexp", "version", "semver", "set_contains", "set_contains_any", "set_contains_all",
		"distinct_hosts", "distinct_property", "is_set", "is_not_set"}
)

// ValidateJob lists what is wrong with a canonical job, each problem naming
// the field by its place in the job and saying what would be valid. The
// HTTP layer rejects an invalid job before any RPC, so nothing is stored.
func ValidateJob(j *structs.Job) []string {
	var errs []string
	add := func(format string, args ...interface{}) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if j.ID == "" {
		add("job ID is required")
	}
	if j.Name == "" {
		add("job name is required")
	}
	if !slices.Contains(validJobTypes, j.Type) {
		add("job type %q is invalid: must be one of %v", j.Type, validJobTypes)
	}
	if j.Priority < structs.JobMinPriority || j.Priority > structs.JobMaxPriority {
		add("job priority %d is invalid: must be between %d and %d", j.Priority, structs.JobMinPriority, structs.JobMaxPriority)
	}
	if len(j.Datacenters) == 0 {
		add("job datacenters are required: list at least one, or \"*\"")
	}
	errs = append(errs, validateConstraints("job", j.Constraints)...)
	if len(j.TaskGroups) == 0 {
		add("job has no task groups: at least one group is required")
	}
	seen := map[string]bool{}
	for i, tg := range j.TaskGroups {
		where := fmt.Sprintf("group %q", tg.Name)
		if tg.Name == "" {
			where = fmt.Sprintf("group %d", i+1)
			add("%s: name is required", where)
		} else if seen[tg.Name] {
			add("%s: name is used by more than one group", where)
		}
		seen[tg.Name] = true
		errs = append(errs, validateTaskGroup(where, tg)...)
	}
	return errs
}

func validateTaskGroup(where string, tg *structs.TaskGroup) []string {
	var errs []string
	add := func(format string, args ...interface{}) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if tg.Count < 0 {
		add("%s: count %d is invalid: must be 0 or more", where, tg.Count)
	}
	if tg.EphemeralDisk != nil && tg.EphemeralDisk.SizeMB < 0 {
		add("%s: ephemeral_disk size %d is invalid: must be 0 or more", where, tg.EphemeralDisk.SizeMB)
	}
	errs = append(errs, validateRestart(where, tg.RestartPolicy)...)
	errs = append(errs, validateConstraints(where, tg.Constraints)...)
	if len(tg.Tasks) == 0 {
		add("%s: no tasks: at least one task is required", where)
	}
	seen := map[string]bool{}
	for i, t := range tg.Tasks {
		tw := fmt.Sprintf("%s task %q", where, t.Name)
		if t.Name == "" {
			tw = fmt.Sprintf("%s task %d", where, i+1)
			add("%s: name is required", tw)
		} else if seen[t.Name] {
			add("%s: name is used by more than one task", tw)
		}
		seen[t.Name] = true
		errs = append(errs, validateTask(tw, t)...)
	}
	return errs
}

func validateTask(where string, t *structs.Task) []string {
	var errs []string
	add := func(format string, args ...interface{}) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if t.Driver == "" {
		add("%s: driver is required, e.g. \"raw_exec\"", where)
	}
	if t.KillTimeout < 0 {
		add("%s: kill_timeout %s is invalid: must be 0 or more", where, t.KillTimeout)
	}
	if r := t.Resources; r != nil {
		if r.CPU < 0 || r.Cores < 0 || r.MemoryMB < 0 || r.MemoryMaxMB < 0 || r.DiskMB < 0 {
			add("%s: resources must not be negative", where)
		}
		if r.CPU > 0 && r.Cores > 0 {
			add("%s: resources: set cpu or cores, not both", where)
		}
		if r.MemoryMaxMB != 0 && r.MemoryMaxMB < r.MemoryMB {
			add("%s: resources: memory_max %d must be at least memory %d", where, r.MemoryMaxMB, r.MemoryMB)
		}
	}
	if l := t.LogConfig; l != nil && (l.MaxFiles < 0 || l.MaxFileSizeMB < 0) {
		add("%s: logs: max_files and max_file_size must not be negative", where)
	}
	errs = append(errs, validateRestart(where, t.RestartPolicy)...)
	errs = append(errs, validateConstraints(where, t.Constraints)...)
	return errs
}

func validateRestart(where string, rp *structs.RestartPolicy) []string {
	if rp == nil {
		return nil
	}
	var errs []string
	if !slices.Contains(validRestartModes, rp.Mode) {
		errs = append(errs, fmt.Sprintf("%s: restart mode %q is invalid: must be one of %v", where, rp.Mode, validRestartModes))
	}
	if rp.Attempts < 0 || rp.Interval < 0 || rp.Delay < 0 {
		errs = append(errs, fmt.Sprintf("%s: restart attempts, interval and delay must not be negative", where))
	}
	if rp.Attempts > 0 && rp.Interval > 0 && rp.Delay*time.Duration(rp.Attempts) > rp.Interval {
		errs = append(errs, fmt.Sprintf("%s: restart: %d attempts with delay %s do not fit in interval %s",
			where, rp.Attempts, rp.Delay, rp.Interval))
	}
	return errs
}

func validateConstraints(where string, cs []*structs.Constraint) []string {
	var errs []string
	for i, c := range cs {
		if !slices.Contains(validConstraintOpers, c.Operand) {
			errs = append(errs, fmt.Sprintf("%s: constraint %d operator %q is invalid: must be one of %v",
				where, i+1, c.Operand, validConstraintOpers[1:]))
		}
	}
	return errs
}
