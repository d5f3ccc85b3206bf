package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ryanuber/columnize"

	"github.com/orch-dev/orch/api"
)

// shortIDLength is how much of a UUID tables show unless -verbose.
const shortIDLength = 8

// formatKV renders "key|value" lines as aligned "key = value".
func formatKV(lines []string) string {
	cfg := columnize.DefaultConfig()
	cfg.Glue = " = "
	return columnize.Format(lines, cfg)
}

// formatList renders "a|b|c" lines as aligned columns; the first is the
// header.
func formatList(lines []string) string {
	cfg := columnize.DefaultConfig()
	cfg.Glue = "  "
	return columnize.Format(lines, cfg)
}

func limit(s string, n int) string {
	if n > 0 && len(s) > n {
		return s[:n]
	}
	return s
}

// formatUnixNano renders a Nomad timestamp (Unix nanoseconds).
func formatUnixNano(ns int64) string {
	if ns == 0 {
		return "<none>"
	}
	return formatTime(time.Unix(0, ns))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "<none>"
	}
	return t.Local().Format(time.RFC3339)
}

// prettyTimeDiff renders how long before now t was, as "12s ago" or
// "3h5m ago", dropping the smaller units of long spans.
func prettyTimeDiff(t, now time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return "<none>"
	}
	d := now.Sub(t).Round(time.Second)
	suffix := " ago"
	if d < 0 {
		d, suffix = -d, " from now"
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	hours := d / time.Hour
	d -= hours * time.Hour
	mins := d / time.Minute
	secs := (d - mins*time.Minute) / time.Second
	var parts []string
	for _, p := range []struct {
		n    time.Duration
		unit string
	}{{days, "d"}, {hours, "h"}, {mins, "m"}, {secs, "s"}} {
		if p.n > 0 || (len(parts) == 0 && p.unit == "s") {
			parts = append(parts, fmt.Sprintf("%d%s", p.n, p.unit))
		}
	}
	if len(parts) > 2 {
		parts = parts[:2]
	}
	return strings.Join(parts, "") + suffix
}

// allocTable renders allocation rows as `job status` and `job allocs` do.
func allocTable(allocs []*api.AllocationListStub, idLen int, now time.Time) string {
	sort.SliceStable(allocs, func(i, j int) bool { return allocs[i].CreateIndex > allocs[j].CreateIndex })
	lines := []string{"ID|Node ID|Task Group|Version|Desired|Status|Created|Modified"}
	for _, a := range allocs {
		lines = append(lines, fmt.Sprintf("%s|%s|%s|%d|%s|%s|%s|%s",
			limit(a.ID, idLen), limit(a.NodeID, idLen), a.TaskGroup, a.JobVersion,
			a.DesiredStatus, a.ClientStatus,
			prettyTimeDiff(time.Unix(0, a.CreateTime), now), prettyTimeDiff(time.Unix(0, a.ModifyTime), now)))
	}
	return formatList(lines)
}

// formatAllocMetric explains why placements failed, in Nomad's words.
func formatAllocMetric(m *api.AllocationMetric, prefix string) string {
	var out []string
	add := func(format string, args ...interface{}) {
		out = append(out, prefix+"* "+fmt.Sprintf(format, args...))
	}
	if m.NodesEvaluated == 0 && m.NodesInPool == 0 {
		add("No nodes were eligible for evaluation")
	}
	for _, dc := range sortedKeys(m.NodesAvailable) {
		if m.NodesAvailable[dc] == 0 {
			add("No nodes are available in datacenter %q", dc)
		}
	}
	for _, class := range sortedKeys(m.ClassFiltered) {
		add("Class %q: %d nodes excluded by filter", class, m.ClassFiltered[class])
	}
	for _, c := range sortedKeys(m.ConstraintFiltered) {
		add("Constraint %q: %d nodes excluded by filter", c, m.ConstraintFiltered[c])
	}
	if m.NodesExhausted > 0 {
		add("Resources exhausted on %d nodes", m.NodesExhausted)
	}
	for _, class := range sortedKeys(m.ClassExhausted) {
		add("Class %q exhausted on %d nodes", class, m.ClassExhausted[class])
	}
	for _, dim := range sortedKeys(m.DimensionExhausted) {
		add("Dimension %q exhausted on %d nodes", dim, m.DimensionExhausted[dim])
	}
	return strings.Join(out, "\n")
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// placementFailures renders an evaluation's failed task groups.
func placementFailures(eval *api.Evaluation) string {
	return failedGroups(eval.FailedTGAllocs, "")
}

// failedGroups renders failed task groups, each line after indent: the
// group and how many placements failed, then why.
func failedGroups(failed map[string]*api.AllocationMetric, indent string) string {
	var out []string
	groups := make([]string, 0, len(failed))
	for g := range failed {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		m := failed[g]
		n := 1 + m.CoalescedFailures
		noun := "allocation"
		if n > 1 {
			noun = "allocations"
		}
		out = append(out, fmt.Sprintf("%sTask Group %q (failed to place %d %s):", indent, g, n, noun))
		if s := formatAllocMetric(m, indent+"  "); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}
