package allocdir

import (
	"errors"
	"fmt"
	"io/fs"
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
// Directories are made parents first with one mkdir each, because with
// hundreds of allocations starting at once these syscalls are most of the
// client's work; only the scratch directories get an extra chmod, since no
// umask yields their world-writable sticky mode.
func (d *AllocDir) Build(tasks []string) error {
	type dir struct {
		path string
		mode os.FileMode
	}
	scratch := 0o777 | os.ModeSticky
	dirs := []dir{
		{d.Dir, 0o755},
		{d.SharedDir, 0o755},
		{d.LogDir, 0o755},
		// Directories tasks write to are world-writable with the sticky
		// bit, as /tmp, because tasks may run as different users (exec
		// runs them as nobody by default).
		{filepath.Join(d.SharedDir, DataDirName), scratch},
		{filepath.Join(d.SharedDir, TmpDirName), scratch},
	}
	for _, task := range tasks {
		td := d.TaskDir(task)
		dirs = append(dirs, dir{td.Dir, 0o755}, dir{td.LocalDir, scratch}, dir{td.SecretsDir, 0o700}, dir{td.TmpDir, scratch})
	}
	if err := os.MkdirAll(filepath.Dir(d.Dir), 0o755); err != nil {
		return fmt.Errorf("create alloc root: %w", err)
	}
	for _, dir := range dirs {
		if err := os.Mkdir(dir.path, dir.mode.Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create alloc dir: %w", err)
		}
		if dir.mode&os.ModeSticky != 0 {
			if err := os.Chmod(dir.path, dir.mode); err != nil {
				return fmt.Errorf("set mode of %s: %w", dir.path, err)
			}
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
