package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

// EnvShim marks a re-executed orch binary as the shim of an exec task.
const EnvShim = "ORCH_EXEC_SHIM"

// The shim's inherited descriptors: the spec arrives on one pipe; setup
// errors leave on the other, which closes on a successful execve and so
// tells the driver the task runs.
const (
	shimSpecFD = 3
	shimErrFD  = 4
)

// shimSpec is everything the shim needs to turn itself into the task.
// The driver resolves names (user, paths) on the host; the shim only
// mounts, confines and executes.
type shimSpec struct {
	// Root is an empty host directory the shim mounts the task's root
	// filesystem on, visible only inside the task's mount namespace.
	Root string `json:"root"`
	// ChrootPaths are host paths bind-mounted read-only at the same place.
	ChrootPaths []string `json:"chroot_paths"`
	// Binds are the writable task directories (/alloc, /local, /secrets).
	Binds []bindMount `json:"binds"`
	// Volumes are the task's host volumes, mounted last so that no
	// directory of the chroot (/tmp, /dev) hides them.
	Volumes  []bindMount `json:"volumes,omitempty"`
	Hostname string      `json:"hostname"`
	Command  string      `json:"command"`
	Args     []string    `json:"args"`
	Env      []string    `json:"env"`
	User     credential  `json:"user"`
}

type bindMount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// MaybeRunShim turns the process into an exec task if it was started as a
// shim and never returns then; otherwise it returns at once. The orch
// binary calls it first thing (through catalog.MaybeServePlugin), before
// anything could start goroutines that hold files open.
func MaybeRunShim() {
	if os.Getenv(EnvShim) != "1" {
		return
	}
	err := runShim()
	// Only a failure gets here; a successful execve replaced this program.
	errPipe := os.NewFile(shimErrFD, "shim-errors")
	_, _ = io.WriteString(errPipe, err.Error())
	// Closed before exiting so the driver has its answer at once, without
	// waiting for the runtime's exit.
	_ = errPipe.Close()
	os.Exit(1)
}

func runShim() error {
	specPipe := os.NewFile(shimSpecFD, "shim-spec")
	b, err := io.ReadAll(specPipe)
	_ = specPipe.Close()
	if err != nil {
		return fmt.Errorf("%s: read task spec: %w", Name, err)
	}
	var spec shimSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("%s: decode task spec: %w", Name, err)
	}
	syscall.CloseOnExec(shimErrFD)
	if err := buildRoot(&spec); err != nil {
		return err
	}
	if err := enterRoot(spec.Root); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(truncate(spec.Hostname, 64))); err != nil {
		return fmt.Errorf("%s: set hostname: %w", Name, err)
	}
	path, err := findCommand(spec.Command, spec.Env)
	if err != nil {
		return err
	}
	if err := dropPrivileges(spec.User); err != nil {
		return err
	}
	argv := append([]string{spec.Command}, spec.Args...)
	if err := syscall.Exec(path, argv, spec.Env); err != nil {
		return fmt.Errorf("%s: run command %q as uid %d: %w", Name, spec.Command, spec.User.UID, err)
	}
	return nil
}

// dropPrivileges switches to the task's user. Supplementary groups are
// always replaced, or a task would keep root's. no_new_privs then keeps a
// task from regaining root through a setuid binary of the chroot paths.
func dropPrivileges(c credential) error {
	groups := make([]int, len(c.Groups))
	for i, g := range c.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("%s: set groups: %w", Name, err)
	}
	if err := syscall.Setgid(int(c.GID)); err != nil {
		return fmt.Errorf("%s: set gid %d: %w", Name, c.GID, err)
	}
	if err := syscall.Setuid(int(c.UID)); err != nil {
		return fmt.Errorf("%s: set uid %d: %w", Name, c.UID, err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("%s: set no_new_privs: %w", Name, err)
	}
	return nil
}

// findCommand resolves the command inside the chroot, whose working
// directory is its root, the task directory. A bare name is looked for in
// /local, where artifacts and templates land, then in the task's PATH.
func findCommand(command string, env []string) (string, error) {
	if strings.Contains(command, "/") {
		p := command
		if !filepath.IsAbs(p) {
			p = "/" + p
		}
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("%s: command %q not found in the chroot: %w", Name, command, err)
		}
		return p, nil
	}
	path := taskproc.DefaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	candidates := []string{"/local/" + command}
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			dir = "/" + dir
		}
		candidates = append(candidates, filepath.Join(dir, command))
	}
	for _, c := range candidates {
		if checkExecutable(c) == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("%s: command %q not found in the chroot's /local or PATH (%s)", Name, command, path)
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file")
	case err != nil:
		return err
	case st.IsDir():
		return errors.New("is a directory")
	case st.Mode()&0o111 == 0:
		return errors.New("not executable")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
