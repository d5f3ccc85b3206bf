package taskrunner

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// writeDispatchPayload writes a dispatched job's payload to the file the
// task's dispatch_payload block names, under the task's local/ directory
// (NOMAD_TASK_DIR), so the task finds its input before it starts. A task
// without the block, or a job dispatched without a payload, gets no file.
func (tr *TaskRunner) writeDispatchPayload() error {
	dp := tr.task.DispatchPayload
	if dp == nil {
		return nil
	}
	// The server refuses files that leave local/; check again, since the
	// path is joined onto the host's file system here.
	if dp.File == "" || structs.ArtifactDestEscapes(dp.File) {
		return fmt.Errorf("dispatch payload file %q must be a relative path inside local/", dp.File)
	}
	path := filepath.Join(tr.cfg.AllocDir.TaskDir(tr.task.Name).LocalDir, filepath.FromSlash(dp.File))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create directory of dispatch payload %q: %w", dp.File, err)
	}
	if err := os.WriteFile(path, tr.cfg.Alloc.Job.Payload, 0o644); err != nil {
		return fmt.Errorf("write dispatch payload %q: %w", dp.File, err)
	}
	tr.logger.Debug("wrote dispatch payload", "file", dp.File, "bytes", len(tr.cfg.Alloc.Job.Payload))
	return nil
}

// prepareTaskDir puts what the task needs into its directory before the
// first start: the dispatch payload, then the artifacts.
func (tr *TaskRunner) prepareTaskDir() error {
	if err := tr.writeDispatchPayload(); err != nil {
		tr.logger.Warn("failed to write dispatch payload", "error", err)
		ev := newEvent(structs.TaskSetupFailure, err.Error())
		ev.Details["setup_error"] = err.Error()
		tr.emit(ev)
		return err
	}
	if len(tr.task.Artifacts) == 0 {
		return nil
	}
	return tr.fetchArtifacts()
}
