package allocdir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Names of the directories, fixed because tasks and operators rely on them.
const (
	SharedDirName  = "alloc"
	LogDirName     = "logs"
	DataDirName    = "data"
	TmpDirName     = "tmp"
	LocalDirName   = "local"
	SecretsDirName = "secrets"
)

// AllocDir is one allocation's directory tree.
type AllocDir struct {
	// Dir is <root>/<alloc-id>.
	Dir string
	// SharedDir is Dir/alloc and LogDir Dir/alloc/logs.
	SharedDir string
	LogDir    string
}

// TaskDir is one task's part of the tree.
type TaskDir struct {
	Dir        string
	LocalDir   string
	SecretsDir string
	TmpDir     string
}

// New describes the directory of allocID under root; nothing is created
// until Build.
func New(root, allocID string) *AllocDir {
	dir := filepath.Join(root, allocID)
	shared := filepath.Join(dir, SharedDirName)
	return &AllocDir{Dir: dir, SharedDir: shared, LogDir: filepath.Join(shared, LogDirName)}
}

// TaskDir describes the directory of a task.
func (d *AllocDir) TaskDir(task string) *TaskDir {
	dir := filepath.Join(d.Dir, task)
	return &TaskDir{
		Dir:        dir,
		LocalDir:   filepath.Join(dir, LocalDirName),
		SecretsDir: filepath.Join(dir, SecretsDirName),
		TmpDir:     filepath.Join(dir, TmpDirName),
	}
}

// Build creates the shared directories and one directory per task. It is
// idempotent so an alloc runner may call it again after an agent restart.
func (d *AllocDir) Build(tasks []string) error {
	dirs := map[string]os.FileMode{
		d.Dir:                                   0o755,
		d.SharedDir:                             0o755,
		d.LogDir:                                0o755,
		filepath.Join(d.SharedDir, DataDirName): 0o755,
		// Shared scratch space is world-writable with the sticky bit, as
		// /tmp, because tasks may run as different users.
		filepath.Join(d.SharedDir, TmpDirName): 0o777 | os.ModeSticky,
	}
	for _, task := range tasks {
		td := d.TaskDir(task)
		dirs[td.Dir] = 0o755
		dirs[td.LocalDir] = 0o755
		dirs[td.SecretsDir] = 0o700
		dirs[td.TmpDir] = 0o777 | os.ModeSticky
	}
	for path, mode := range dirs {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return fmt.Errorf("create alloc dir: %w", err)
		}
		// MkdirAll applies the umask; set the intended mode explicitly.
		if err := os.Chmod(path, mode); err != nil {
			return fmt.Errorf("set mode of %s: %w", path, err)
		}
	}
	return nil
}

// LogPath is the base path a driver appends ".<n>" to for a task's stdout
// or stderr ("stdout" or "stderr").
func (d *AllocDir) LogPath(task, logType string) string {
	return filepath.Join(d.LogDir, task+"."+logType)
}

// Destroy removes the whole tree.
func (d *AllocDir) Destroy() error {
	if err := os.RemoveAll(d.Dir); err != nil {
		return fmt.Errorf("remove alloc dir: %w", err)
	}
	return nil
}
