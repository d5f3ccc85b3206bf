package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/orch-dev/orch/api"
)

// The plan's diff as Nomad prints it: one line per changed element with a
// marker ("+" added, "-" deleted, "+/-" edited, none if unchanged), names
// aligned within each level, values quoted, annotations in parentheses.
// Blocks open with "Name {" and close with "}".

func diffMarker(typ string) string {
	switch typ {
	case api.DiffTypeAdded:
		return "+ "
	case api.DiffTypeDeleted:
		return "- "
	case api.DiffTypeEdited:
		return "+/- "
	}
	return ""
}

// diffWriter accumulates lines; each level pads markers to the widest of
// its siblings so that names line up.
type diffWriter struct {
	b       strings.Builder
	verbose bool
}

func (w *diffWriter) line(indent int, marker string, width int, text string) {
	fmt.Fprintf(&w.b, "%s%-*s%s\n", strings.Repeat(" ", indent), width, marker, text)
}

// formatJobDiff renders a plan's diff. The job's own fields show when it
// is edited; an added or deleted group or task shows only its header
// unless verbose.
func formatJobDiff(d *api.JobDiff, verbose bool) string {
	if d == nil {
		return ""
	}
	w := &diffWriter{verbose: verbose}
	width := markerWidth(d.Fields, d.Objects)
	for _, tg := range d.TaskGroups {
		width = max(width, len(diffMarker(tg.Type)))
	}
	w.line(0, diffMarker(d.Type), 0, fmt.Sprintf("Job: %q", d.ID))
	if d.Type == api.DiffTypeEdited || verbose {
		w.fieldsAndObjects(0, width, d.Fields, d.Objects)
	}
	for _, tg := range d.TaskGroups {
		w.group(tg, width)
	}
	return strings.TrimRight(w.b.String(), "\n")
}

func (w *diffWriter) group(tg *api.TaskGroupDiff, width int) {
	header := fmt.Sprintf("Task Group: %q", tg.Name)
	if u := formatUpdates(tg.Updates); u != "" {
		header += " (" + u + ")"
	}
	w.line(0, diffMarker(tg.Type), width, header)
	inner := markerWidth(tg.Fields, tg.Objects)
	for _, t := range tg.Tasks {
		inner = max(inner, len(diffMarker(t.Type)))
	}
	if tg.Type == api.DiffTypeEdited || w.verbose {
		w.fieldsAndObjects(2, inner, tg.Fields, tg.Objects)
	}
	for _, t := range tg.Tasks {
		header := fmt.Sprintf("Task: %q", t.Name)
		if len(t.Annotations) > 0 {
			header += " (" + strings.Join(t.Annotations, ", ") + ")"
		}
		w.line(2, diffMarker(t.Type), inner, header)
		if t.Type == api.DiffTypeEdited || (t.Type != api.DiffTypeNone && w.verbose) {
			w.fieldsAndObjects(4, markerWidth(t.Fields, t.Objects), t.Fields, t.Objects)
		}
	}
}

// formatUpdates lists a group's update counts by type name, as Nomad:
// "1 create, 2 in-place update".
func formatUpdates(updates map[string]uint64) string {
	types := make([]string, 0, len(updates))
	for typ, n := range updates {
		if n > 0 {
			types = append(types, typ)
		}
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, typ := range types {
		parts[i] = fmt.Sprintf("%d %s", updates[typ], typ)
	}
	return strings.Join(parts, ", ")
}

func (w *diffWriter) fieldsAndObjects(indent, width int, fields []*api.FieldDiff, objects []*api.ObjectDiff) {
	nameWidth := 0
	for _, f := range fields {
		nameWidth = max(nameWidth, len(f.Name))
	}
	for _, f := range fields {
		text := fmt.Sprintf("%s: %s%s", f.Name, strings.Repeat(" ", nameWidth-len(f.Name)), fieldValue(f))
		if len(f.Annotations) > 0 {
			text += " (" + strings.Join(f.Annotations, ", ") + ")"
		}
		w.line(indent, diffMarker(f.Type), width, text)
	}
	for _, o := range objects {
		marker := diffMarker(o.Type)
		w.line(indent, marker, width, o.Name+" {")
		// The block's lines start two columns in from its marker, and
		// the brace closes under its name.
		w.fieldsAndObjects(indent+width-len(marker)+2, markerWidth(o.Fields, o.Objects), o.Fields, o.Objects)
		w.line(indent+width, "", 0, "}")
	}
}

func fieldValue(f *api.FieldDiff) string {
	switch f.Type {
	case api.DiffTypeDeleted:
		return fmt.Sprintf("%q", f.Old)
	case api.DiffTypeEdited:
		return fmt.Sprintf("%q => %q", f.Old, f.New)
	}
	return fmt.Sprintf("%q", f.New)
}

func markerWidth(fields []*api.FieldDiff, objects []*api.ObjectDiff) int {
	width := 0
	for _, f := range fields {
		width = max(width, len(diffMarker(f.Type)))
	}
	for _, o := range objects {
		width = max(width, len(diffMarker(o.Type)))
	}
	return width
}

// formatDryRun says whether every allocation would be placed and, if not,
// why not per group, with the same explanations `job run` prints.
func formatDryRun(resp *api.JobPlanResponse, jobType string) string {
	var out string
	if len(resp.FailedTGAllocs) == 0 {
		out = "- All tasks successfully allocated."
	} else {
		head := "- WARNING: Failed to place all allocations."
		if jobType == api.JobTypeSystem || jobType == api.JobTypeSysBatch {
			head = "- WARNING: Failed to place allocations on all nodes."
		}
		out = head + "\n" + failedGroups(resp.FailedTGAllocs, "  ")
	}
	if !resp.NextPeriodicLaunch.IsZero() {
		out += "\n- If submitted now, next periodic launch would be at " +
			resp.NextPeriodicLaunch.UTC().Format("2006-01-02T15:04:05Z07:00") + "."
	}
	return out
}

// formatPreemptions lists the allocations the plan would evict, as
// Nomad's "Preemptions:" table; "" when there are none.
func formatPreemptions(a *api.PlanAnnotations, verbose bool) string {
	if a == nil || len(a.PreemptedAllocs) == 0 {
		return ""
	}
	lines := []string{"Alloc ID|Job ID|Task Group|Node ID"}
	idLen := idLength(verbose)
	for _, v := range a.PreemptedAllocs {
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%s", limit(v.ID, idLen), v.JobID, v.TaskGroup, limit(v.NodeID, idLen)))
	}
	return "Preemptions:\n\n" + formatList(lines)
}

// planExitCode is Nomad's: 1 when the plan creates or destroys
// allocations, 0 when it changes nothing or only updates in place.
func planExitCode(resp *api.JobPlanResponse) int {
	if resp.Annotations == nil || (resp.Diff != nil && resp.Diff.Type == api.DiffTypeNone) {
		return exitOK
	}
	for _, d := range resp.Annotations.DesiredTGUpdates {
		if d != nil && d.Place+d.Stop+d.Migrate+d.DestructiveUpdate+d.Canary > 0 {
			return exitPlanChanges
		}
	}
	return exitOK
}
