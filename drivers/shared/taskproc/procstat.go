package taskproc

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat and
// cgroup v1's cpuacct.stat. The kernel fixes it at 100 for these
// interfaces on every architecture Go supports for Linux, whatever
// CONFIG_HZ is, and Go offers no sysconf.
const ClockTicks = 100

// Stat is the part of /proc/<pid>/stat the drivers use.
type Stat struct {
	Pid   int
	State byte
	Pgrp  int
	// CPU time in clock ticks, of the process and of its reaped children.
	UTime, STime, CUTime, CSTime uint64
	// StartTime in clock ticks after boot; with Pid it names a process
	// uniquely, which guards against pid reuse.
	StartTime uint64
	RSSPages  int64
}

// ReadStat parses /proc/<pid>/stat; the error wraps os.ErrNotExist when
// there is no such process.
func ReadStat(pid int) (*Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	return ParseStat(pid, b)
}

// ParseStat parses the content of /proc/<pid>/stat.
func ParseStat(pid int, b []byte) (*Stat, error) {
	// comm may contain spaces and parentheses; it ends at the last ')'.
	end := bytes.LastIndexByte(b, ')')
	if end < 0 || end+2 > len(b) {
		return nil, fmt.Errorf("parse /proc/%d/stat: no command field", pid)
	}
	f := strings.Fields(string(b[end+2:]))
	// f[0] is field 3 of proc(5); rss, field 24, is the last one needed.
	if len(f) < 22 {
		return nil, fmt.Errorf("parse /proc/%d/stat: %d fields, want at least 24", pid, len(f)+2)
	}
	num := func(i int) uint64 {
		n, _ := strconv.ParseUint(f[i], 10, 64)
		return n
	}
	pgrp, _ := strconv.Atoi(f[2])
	rss, _ := strconv.ParseInt(f[21], 10, 64)
	return &Stat{
		Pid: pid, State: f[0][0], Pgrp: pgrp,
		UTime: num(11), STime: num(12), CUTime: num(13), CSTime: num(14),
		StartTime: num(19), RSSPages: rss,
	}, nil
}

// SameProcess reports whether pid still names the process that started
// at startTime and has not exited (a zombie has exited).
func SameProcess(pid int, startTime uint64) bool {
	st, err := ReadStat(pid)
	return err == nil && st.StartTime == startTime && st.State != 'Z'
}

// CPUMHz is the clock of one core, to express CPU use in MHz as the
// scheduler accounts it. Zero when the kernel does not say.
func CPUMHz() float64 {
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			k, v, ok := strings.Cut(s.Text(), ":")
			if ok && strings.TrimSpace(k) == "cpu MHz" {
				if mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && mhz > 0 {
					return mhz
				}
			}
		}
	}
	if b, err := os.ReadFile("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"); err == nil {
		if khz, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64); err == nil {
			return khz / 1000
		}
	}
	return 0
}
