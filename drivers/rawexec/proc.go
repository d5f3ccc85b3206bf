package rawexec

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

// procTable is a cached scan of /proc grouped by process group. Every
// task's stats need the members of its group; sharing one scan among all
// tasks keeps the cost at one pass over /proc per refresh instead of one
// per task per sample.
type procTable struct {
	maxAge time.Duration

	mu      sync.Mutex
	scanned time.Time
	groups  map[int][]*taskproc.Stat
}

func newProcTable(maxAge time.Duration) *procTable {
	return &procTable{maxAge: maxAge}
}

// group returns the live members of process group pgid and when /proc
// was read for them: rates must be computed over scan times, since two
// calls within maxAge see the same scan.
func (t *procTable) group(pgid int) ([]*taskproc.Stat, time.Time, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.groups == nil || time.Since(t.scanned) > t.maxAge {
		groups, err := scanProcs()
		if err != nil {
			return nil, time.Time{}, err
		}
		t.groups, t.scanned = groups, time.Now()
	}
	return t.groups[pgid], t.scanned, nil
}

func scanProcs() (map[int][]*taskproc.Stat, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("scan processes: %w", err)
	}
	groups := make(map[int][]*taskproc.Stat)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		st, err := taskproc.ReadStat(pid)
		if err != nil || st.State == 'Z' {
			continue // exited between listing and reading, or a zombie
		}
		groups[st.Pgrp] = append(groups[st.Pgrp], st)
	}
	return groups, nil
}
