package exec

import (
	"encoding/json"
	"fmt"
	"time"
)

// handleVersion is the version of TaskHandle this driver writes; bump it
// when driverState changes incompatibly.
const handleVersion = 1

// driverState is what the client persists for RecoverTask. JSON rather
// than msgpack so an operator can read it in the client's state files.
type driverState struct {
	// Pid is the host pid of the task's main process, init of its PID
	// namespace.
	Pid int `json:"pid"`
	// StartTime is the process's start in clock ticks after boot, as in
	// /proc/<pid>/stat; a pid with another start time is someone else.
	StartTime uint64    `json:"start_time"`
	StartedAt time.Time `json:"started_at"`
	// Cgroup is reopened for stats, OOM reports and removal.
	Cgroup *taskCgroup `json:"cgroup"`
	// StdoutFIFO and StderrFIFO let a restarted plugin resume copying the
	// task's output (see drivers/sdk/logfifo).
	StdoutFIFO string `json:"stdout_fifo,omitempty"`
	StderrFIFO string `json:"stderr_fifo,omitempty"`
}

func (s *driverState) encode() ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode driver state: %w", err)
	}
	return b, nil
}

func decodeDriverState(b []byte) (*driverState, error) {
	var s driverState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decode driver state: %w", err)
	}
	if s.Pid <= 0 {
		return nil, fmt.Errorf("decode driver state: invalid pid %d", s.Pid)
	}
	if s.Cgroup == nil || (s.Cgroup.Dir == "" && len(s.Cgroup.V1) == 0) {
		return nil, fmt.Errorf("decode driver state: no cgroup")
	}
	return &s, nil
}
