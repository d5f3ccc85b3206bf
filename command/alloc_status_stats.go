package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orch-dev/orch/api"
)

// taskStats is a task's sample, nil when the allocation's stats were not
// asked for or the task was not running.
func taskStats(u *api.AllocResourceUsage, task string) *api.TaskResourceUsage {
	if u == nil {
		return nil
	}
	tu := u.Tasks[task]
	if tu == nil || tu.ResourceUsage == nil || tu.ResourceUsage.CpuStats == nil || tu.ResourceUsage.MemoryStats == nil {
		return nil
	}
	return tu
}

// taskUsageTables renders a task's usage as Nomad's alloc status -stats
// does: use against reservation, then every measured memory and CPU
// figure.
func taskUsageTables(a *api.Allocation, task string, tu *api.TaskResourceUsage) string {
	cpu, mem := tu.ResourceUsage.CpuStats, tu.ResourceUsage.MemoryStats
	var cpuShares, memMB int64
	if a.AllocatedResources != nil {
		if r := a.AllocatedResources.Tasks[task]; r != nil {
			cpuShares, memMB = r.Cpu.CpuShares, r.Memory.MemoryMB
		}
	}
	var b strings.Builder
	b.WriteString("\nTask Resources:\n")
	b.WriteString(formatList([]string{
		"CPU|Memory",
		fmt.Sprintf("%.0f/%d MHz|%s/%s", cpu.TotalTicks, cpuShares, humanBytes(mem.RSS), humanBytes(uint64(memMB)<<20)),
	}))

	memCols := map[string]string{
		"RSS": humanBytes(mem.RSS), "Cache": humanBytes(mem.Cache), "Swap": humanBytes(mem.Swap),
		"Usage": humanBytes(mem.Usage), "Max Usage": humanBytes(mem.MaxUsage),
	}
	cpuCols := map[string]string{
		"Percent": percent(cpu.Percent), "System Mode": percent(cpu.SystemMode), "User Mode": percent(cpu.UserMode),
		"Total Ticks":       fmt.Sprintf("%.0f", cpu.TotalTicks),
		"Throttled Periods": fmt.Sprint(cpu.ThrottledPeriods), "Throttled Time": fmt.Sprint(cpu.ThrottledTime),
	}
	b.WriteString("\n\nMemory Stats\n")
	b.WriteString(measuredTable(mem.Measured, memCols))
	b.WriteString("\n\nCPU Stats\n")
	b.WriteString(measuredTable(cpu.Measured, cpuCols))
	return b.String()
}

// measuredTable is a one-row table of the measured columns, in name
// order; what was not measured is left out rather than shown as zero.
func measuredTable(measured []string, values map[string]string) string {
	var names []string
	for _, m := range measured {
		if _, ok := values[m]; ok && !slices.Contains(names, m) {
			names = append(names, m)
		}
	}
	if len(names) == 0 {
		return "<none measured>"
	}
	slices.Sort(names)
	row := make([]string, len(names))
	for i, n := range names {
		row[i] = values[n]
	}
	return formatList([]string{strings.Join(names, "|"), strings.Join(row, "|")})
}

func percent(p float64) string { return fmt.Sprintf("%.2f%%", p) }

// humanBytes renders a size in binary units with up to one decimal, as
// Nomad's CLI does ("984 KiB", "1.2 MiB").
func humanBytes(n uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 && i > 0 && v != float64(int64(v)) {
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}
