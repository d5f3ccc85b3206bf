package structs

import (
	"fmt"
	"reflect"
	"sort"
)

// DiffType says how an element of a job changed. The values are Nomad's,
// which its CLI and UI read from /v1/job/:id/plan.
type DiffType string

const (
	DiffTypeNone    DiffType = "None"
	DiffTypeAdded   DiffType = "Added"
	DiffTypeDeleted DiffType = "Deleted"
	DiffTypeEdited  DiffType = "Edited"
)

// JobDiff is the field-level difference between two versions of a job, in
// Nomad's shape: the job's own fields and objects, then one diff per task
// group (unchanged groups included, so a plan can annotate every group).
type JobDiff struct {
	Type       DiffType
	ID         string
	Fields     []*FieldDiff
	Objects    []*ObjectDiff
	TaskGroups []*TaskGroupDiff
}

// TaskGroupDiff is one group's difference. Updates is filled from a plan's
// annotations: update type (UpdateTypeCreate, ...) to allocation count.
type TaskGroupDiff struct {
	Type    DiffType
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
	Tasks   []*TaskDiff
	Updates map[string]uint64
}

// TaskDiff is one task's difference. Annotations say what the change
// forces (AnnotationForcesDestructiveUpdate, ...).
type TaskDiff struct {
	Type        DiffType
	Name        string
	Fields      []*FieldDiff
	Objects     []*ObjectDiff
	Annotations []string
}

// FieldDiff is one primitive value. Old and New are rendered as Nomad
// renders them: integers in decimal (durations in nanoseconds), booleans
// as "true"/"false", map entries as "Meta[key]".
type FieldDiff struct {
	Type        DiffType
	Name        string
	Old, New    string
	Annotations []string
}

// ObjectDiff is a nested block (a constraint, the restart policy, the
// driver config) with its own fields and blocks.
type ObjectDiff struct {
	Type    DiffType
	Name    string
	Fields  []*FieldDiff
	Objects []*ObjectDiff
}

// Fields the diff leaves out: the servers maintain them (status, version,
// indexes, submit time), or they identify the element and are its diff's
// ID or Name, or they are diffed element by element (groups, tasks).
var (
	jobDiffSkip = map[string]bool{
		"ID": true, "Status": true, "StatusDescription": true, "Stable": true, "Version": true,
		"SubmitTime": true, "CreateIndex": true, "ModifyIndex": true, "JobModifyIndex": true,
		"TaskGroups": true,
	}
	groupDiffSkip = map[string]bool{"Name": true, "Tasks": true}
	taskDiffSkip  = map[string]bool{"Name": true}
)

// Diff returns what registering other in place of j changes. A nil j means
// other is new (everything Added); a nil other means j goes (everything
// Deleted). Top-level fields are listed only when they change; with
// contextual, a changed block also lists its unchanged fields, so a
// reader sees what the change sits in, as Nomad's `job plan` shows it.
// Any field a later change adds to Job, TaskGroup or Task is compared
// too, by its kind: a value, a map of values, a block, a list of blocks.
func (j *Job) Diff(other *Job, contextual bool) (*JobDiff, error) {
	if j != nil && other != nil && j.ID != other.ID {
		return nil, fmt.Errorf("job diff: %w: cannot compare jobs with different IDs %q and %q",
			ErrBadRequest, j.ID, other.ID)
	}
	d := &JobDiff{Type: presence(j != nil, other != nil)}
	var oldGroups, newGroups []*TaskGroup
	if j != nil {
		d.ID, oldGroups = j.ID, j.TaskGroups
	}
	if other != nil {
		d.ID, newGroups = other.ID, other.TaskGroups
	}
	oldFlat, newFlat, objects := diffParts(structValue(j), structValue(other), jobDiffSkip, contextual)
	d.Fields, d.Objects = fieldDiffs(oldFlat, newFlat, false), objects
	d.TaskGroups = taskGroupDiffs(oldGroups, newGroups, contextual)
	if d.Type == DiffTypeNone && (changed(d.Fields, d.Objects) || groupsChanged(d.TaskGroups)) {
		d.Type = DiffTypeEdited
	}
	return d, nil
}

func taskGroupDiffs(old, new []*TaskGroup, contextual bool) []*TaskGroupDiff {
	oldBy, newBy, names := byName(old, new, func(tg *TaskGroup) string { return tg.Name })
	out := make([]*TaskGroupDiff, 0, len(names))
	for _, name := range names {
		o, n := oldBy[name], newBy[name]
		d := &TaskGroupDiff{Type: presence(o != nil, n != nil), Name: name}
		var oldTasks, newTasks []*Task
		if o != nil {
			oldTasks = o.Tasks
		}
		if n != nil {
			newTasks = n.Tasks
		}
		oldFlat, newFlat, objects := diffParts(structValue(o), structValue(n), groupDiffSkip, contextual)
		d.Fields, d.Objects = fieldDiffs(oldFlat, newFlat, false), objects
		d.Tasks = taskDiffs(oldTasks, newTasks, contextual)
		if d.Type == DiffTypeNone && (changed(d.Fields, d.Objects) || tasksChanged(d.Tasks)) {
			d.Type = DiffTypeEdited
		}
		out = append(out, d)
	}
	return out
}

func taskDiffs(old, new []*Task, contextual bool) []*TaskDiff {
	oldBy, newBy, names := byName(old, new, func(t *Task) string { return t.Name })
	out := make([]*TaskDiff, 0, len(names))
	for _, name := range names {
		o, n := oldBy[name], newBy[name]
		d := &TaskDiff{Type: presence(o != nil, n != nil), Name: name}
		oldFlat, newFlat, objects := diffParts(structValue(o), structValue(n), taskDiffSkip, contextual)
		d.Fields, d.Objects = fieldDiffs(oldFlat, newFlat, false), objects
		if d.Type == DiffTypeNone && changed(d.Fields, d.Objects) {
			d.Type = DiffTypeEdited
		}
		out = append(out, d)
	}
	return out
}

// byName indexes two lists by name and returns the union of the names in
// order, as Nomad lists groups and tasks.
func byName[T any](old, new []*T, name func(*T) string) (map[string]*T, map[string]*T, []string) {
	oldBy, newBy := make(map[string]*T, len(old)), make(map[string]*T, len(new))
	var names []string
	for _, list := range []struct {
		items []*T
		into  map[string]*T
	}{{old, oldBy}, {new, newBy}} {
		for _, it := range list.items {
			if it == nil {
				continue
			}
			n := name(it)
			if _, seen := oldBy[n]; !seen {
				if _, seen := newBy[n]; !seen {
					names = append(names, n)
				}
			}
			list.into[n] = it
		}
	}
	sort.Strings(names)
	return oldBy, newBy, names
}

// presence is the diff type of an element by which sides have it.
func presence(inOld, inNew bool) DiffType {
	switch {
	case inOld && !inNew:
		return DiffTypeDeleted
	case !inOld && inNew:
		return DiffTypeAdded
	}
	return DiffTypeNone
}

func changed(fields []*FieldDiff, objects []*ObjectDiff) bool {
	for _, f := range fields {
		if f.Type != DiffTypeNone {
			return true
		}
	}
	for _, o := range objects {
		if o.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

func groupsChanged(groups []*TaskGroupDiff) bool {
	for _, g := range groups {
		if g.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

func tasksChanged(tasks []*TaskDiff) bool {
	for _, t := range tasks {
		if t.Type != DiffTypeNone {
			return true
		}
	}
	return false
}

// structValue is the struct a pointer points at, or the invalid Value for
// nil, which the flattening treats as "absent".
func structValue(p interface{}) reflect.Value {
	v := reflect.ValueOf(p)
	if !v.IsValid() || v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}
