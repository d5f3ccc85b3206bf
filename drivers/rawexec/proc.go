package rawexec

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat. The
// kernel fixes it at 100 for the /proc interface on every architecture Go
// supports for Linux, whatever CONFIG_HZ is, and Go offers no sysconf.
const clockTicks = 100

// procStat is the part of /proc/<pid>/stat the driver uses.
type procStat struct {
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

// readProcStat parses /proc/<pid>/stat; the error wraps os.ErrNotExist
// when there is no such process.
func readProcStat(pid int) (*procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	return parseProcStat(pid, b)
}

func parseProcStat(pid int, b []byte) (*procStat, error) {
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
	return &procStat{
		Pid: pid, State: f[0][0], Pgrp: pgrp,
		UTime: num(11), STime: num(12), CUTime: num(13), CSTime: num(14),
		StartTime: num(19), RSSPages: rss,
	}, nil
}

// sameProcess reports whether pid still names the process that started
// at startTime and has not exited (a zombie has exited).
func sameProcess(pid int, startTime uint64) bool {
	st, err := readProcStat(pid)
	return err == nil && st.StartTime == startTime && st.State != 'Z'
}

// procTable is a cached scan of /proc grouped by process group. Every
// task's stats need the members of its group; sharing one scan among all
// tasks keeps the cost at one pass over /proc per refresh instead of one
// per task per sample.
type procTable struct {
	maxAge time.Duration

	mu      sync.Mutex
	scanned time.Time
	groups  map[int][]*procStat
}

func newProcTable(maxAge time.Duration) *procTable {
	return &procTable{maxAge: maxAge}
}

// group returns the live members of process group pgid.
func (t *procTable) group(pgid int) ([]*procStat, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.groups == nil || time.Since(t.scanned) > t.maxAge {
		groups, err := scanProcs()
		if err != nil {
			return nil, err
		}
		t.groups, t.scanned = groups, time.Now()
	}
	return t.groups[pgid], nil
}

func scanProcs() (map[int][]*procStat, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	groups := make(map[int][]*procStat)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil || st.State == 'Z' {
			continue // exited between listing and reading, or a zombie
		}
		groups[st.Pgrp] = append(groups[st.Pgrp], st)
	}
	return groups, nil
}

// cpuMHz is the clock of one core, to express CPU use in MHz as the
// scheduler accounts it. Zero when the kernel does not say.
func cpuMHz() float64 {
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
