package docker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// handleVersion is the version of TaskHandle this driver writes; bump it
// when driverState changes incompatibly.
const handleVersion = 1

// driverState is what the client persists for RecoverTask. JSON so an
// operator can read it in the client's state files.
type driverState struct {
	ContainerID string    `json:"container_id"`
	Image       string    `json:"image"`
	StartedAt   time.Time `json:"started_at"`
	// StopSignal is the image's STOPSIGNAL, the default for StopTask.
	StopSignal string `json:"stop_signal,omitempty"`
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
	if s.ContainerID == "" {
		return nil, errors.New("decode driver state: no container ID")
	}
	return &s, nil
}

// logPosition remembers the engine timestamp of the last log line written
// to the task's files, so that a restarted plugin resumes the container's
// logs there instead of from the start. The handle the client persists
// is written only once, at start, so the position lives in a small file
// of the task directory (which is not mounted into the container).
type logPosition struct {
	path string
}

// logPositionFile is the position file's name in the task directory.
const logPositionFile = ".docker-logs-since"

func (p logPosition) load() (time.Time, bool) {
	if p.path == "" {
		return time.Time{}, false
	}
	b, err := os.ReadFile(p.path)
	if err != nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// store writes the position. A torn write leaves an unparsable file,
// which load ignores: the next plugin then repeats lines, never loses them.
func (p logPosition) store(t time.Time) error {
	if p.path == "" {
		return nil
	}
	if err := os.WriteFile(p.path, []byte(t.UTC().Format(time.RFC3339Nano)+"\n"), 0o600); err != nil {
		return fmt.Errorf("store log position: %w", err)
	}
	return nil
}
