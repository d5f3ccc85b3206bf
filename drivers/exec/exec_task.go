package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/orch-dev/orch/drivers/sdk"
)

// taskNamespaces are the namespaces a command run by ExecTask joins, in
// the order it joins them: the mount namespace last, since after it the
// task's /proc/<pid>/ns paths are no longer where they were.
var taskNamespaces = []struct {
	name string
	flag int
}{
	{"ipc", unix.CLONE_NEWIPC},
	{"uts", unix.CLONE_NEWUTS},
	{"pid", unix.CLONE_NEWPID},
	{"mnt", unix.CLONE_NEWNS},
}

var _ sdk.ExecTaskDriver = (*Driver)(nil)

// ExecTask runs cmd inside a running task, as script checks need: in the
// task's namespaces (so its chroot is "/" and its processes are visible),
// with its environment and user, charged to its cgroup. The task's main
// process is the source of truth for all of these, which also holds for
// a task this plugin recovered after a restart.
func (d *Driver) ExecTask(taskID string, cmd []string, timeout time.Duration) (*sdk.ExecTaskResult, error) {
	if len(cmd) == 0 {
		return nil, fmt.Errorf("%s: exec in task %q: empty command", Name, taskID)
	}
	h, err := d.handle(taskID)
	if err != nil {
		return nil, err
	}
	if h.exit.Exited() {
		return nil, fmt.Errorf("%s: task %q has exited; cannot exec in it", Name, taskID)
	}
	target, err := readExecTarget(h.pid)
	if err != nil {
		return nil, fmt.Errorf("%s: exec in task %q: %w", Name, taskID, err)
	}
	defer target.close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return runInTask(ctx, target, d.cgroups, h.cgroup, cmd)
}

// execTarget is what a command needs to enter a task, read from the
// host's /proc before any namespace is changed.
type execTarget struct {
	pid  int
	env  []string
	cred *syscall.Credential
	ns   []int // descriptors, in taskNamespaces' order
}

func (t *execTarget) close() {
	for _, fd := range t.ns {
		_ = unix.Close(fd)
	}
}

func readExecTarget(pid int) (*execTarget, error) {
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return nil, fmt.Errorf("read task environment: %w", err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("read task credentials: %w", err)
	}
	cred, err := parseStatusCredential(string(status))
	if err != nil {
		return nil, fmt.Errorf("pid %d: %w", pid, err)
	}
	t := &execTarget{pid: pid, cred: cred}
	for _, kv := range strings.Split(string(environ), "\x00") {
		if kv != "" {
			t.env = append(t.env, kv)
		}
	}
	for _, ns := range taskNamespaces {
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, ns.name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.close()
			return nil, fmt.Errorf("open the task's %s namespace: %w", ns.name, err)
		}
		t.ns = append(t.ns, fd)
	}
	return t, nil
}

// parseStatusCredential reads the effective uid and gid and the
// supplementary groups from a /proc/<pid>/status text.
func parseStatusCredential(status string) (*syscall.Credential, error) {
	cred := &syscall.Credential{}
	var haveUID, haveGID bool
	for _, line := range strings.Split(status, "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		switch key {
		case "Uid", "Gid":
			if len(fields) < 2 {
				return nil, fmt.Errorf("malformed %s line %q", key, line)
			}
			id, err := strconv.ParseUint(fields[1], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("malformed %s line %q: %w", key, line, err)
			}
			if key == "Uid" {
				cred.Uid, haveUID = uint32(id), true
			} else {
				cred.Gid, haveGID = uint32(id), true
			}
		case "Groups":
			for _, f := range fields {
				g, err := strconv.ParseUint(f, 10, 32)
				if err != nil {
					return nil, fmt.Errorf("malformed Groups line %q: %w", line, err)
				}
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	if !haveUID || !haveGID {
		return nil, errors.New("no Uid or Gid line in the task's status")
	}
	// An empty list must still replace root's groups.
	cred.NoSetGroups = false
	return cred, nil
}

// runInTask starts the command from an OS thread that has joined the
// task's namespaces, so the child is born inside them: the thread first
// stops sharing filesystem attributes with the rest of the plugin, which
// joining a mount namespace requires, and is never handed back to the Go
// scheduler (it ends with its goroutine).
func runInTask(ctx context.Context, t *execTarget, sys *cgroupSystem, cg *taskCgroup, argv []string) (*sdk.ExecTaskResult, error) {
	type started struct {
		cmd *osexec.Cmd
		err error
	}
	out := &sdk.ExecOutput{}
	startc := make(chan started, 1)
	waitc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: this thread is the task's now
		cmd, err := startInTask(ctx, t, sys, cg, argv, out)
		startc <- started{cmd, err}
		if err != nil {
			return
		}
		waitc <- cmd.Wait()
	}()
	s := <-startc
	if s.err != nil {
		return nil, s.err
	}
	err := <-waitc
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: exec %q in task: %w", Name, argv[0], ctx.Err())
	}
	var exitErr *osexec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return nil, fmt.Errorf("%s: exec %q in task: %w", Name, argv[0], err)
	}
	code := s.cmd.ProcessState.ExitCode()
	if code < 0 { // killed by a signal
		code = 128 + int(s.cmd.ProcessState.Sys().(syscall.WaitStatus).Signal())
	}
	return &sdk.ExecTaskResult{Output: out.Bytes(), ExitCode: code}, nil
}

// startInTask runs on a locked OS thread. The child is born in the task's
// cgroup: on v2 through clone3's CLONE_INTO_CGROUP; on v1, which places
// threads rather than processes, by moving this thread into the task's
// cgroup for the fork and back into the plugin's own right after, so the
// plugin is never a member of a cgroup that DestroyTask empties by
// killing. The cgroup files are opened while the host's /sys is in view.
func startInTask(ctx context.Context, t *execTarget, sys *cgroupSystem, cg *taskCgroup, argv []string, out *sdk.ExecOutput) (*osexec.Cmd, error) {
	attr := &syscall.SysProcAttr{Credential: t.cred, Setpgid: true}
	if cg.Version == 2 {
		dir, err := os.Open(cg.Dir)
		if err != nil {
			return nil, fmt.Errorf("%s: exec in task: open its cgroup: %w", Name, err)
		}
		defer dir.Close()
		attr.UseCgroupFD, attr.CgroupFD = true, int(dir.Fd())
		return forkInTask(ctx, t, attr, argv, out)
	}
	own := make([]string, 0, len(sys.v1Own))
	for _, dir := range sys.v1Own {
		own = append(own, dir)
	}
	into, err := openThreadFiles(cg.dirs())
	if err != nil {
		return nil, err
	}
	defer closeFiles(into)
	back, err := openThreadFiles(own)
	if err != nil {
		return nil, err
	}
	defer closeFiles(back)
	// A plugin thread left in a task's cgroup would get the plugin killed
	// with the task: failing to move it back is not survivable.
	mustMoveBack := func() {
		if err := moveThread(back); err != nil {
			panic(fmt.Sprintf("%s: plugin thread stuck in a task cgroup: %v", Name, err))
		}
	}
	if err := moveThread(into); err != nil {
		mustMoveBack()
		return nil, fmt.Errorf("%s: exec in task: join its cgroup: %w", Name, err)
	}
	cmd, err := forkInTask(ctx, t, attr, argv, out)
	mustMoveBack()
	return cmd, err
}

func openThreadFiles(dirs []string) ([]*os.File, error) {
	var files []*os.File
	for _, dir := range dirs {
		f, err := os.OpenFile(filepath.Join(dir, "tasks"), os.O_WRONLY, 0)
		if err != nil {
			closeFiles(files)
			return nil, fmt.Errorf("%s: exec in task: open cgroup %s: %w", Name, dir, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}

// moveThread writes the calling thread's ID to each v1 "tasks" file.
func moveThread(files []*os.File) error {
	tid := []byte(strconv.Itoa(unix.Gettid()))
	for _, f := range files {
		if _, err := f.Write(tid); err != nil {
			return fmt.Errorf("move thread to %s: %w", f.Name(), err)
		}
	}
	return nil
}

// forkInTask joins the task's namespaces from the calling (locked) thread
// and starts the command there.
func forkInTask(ctx context.Context, t *execTarget, attr *syscall.SysProcAttr, argv []string, out *sdk.ExecOutput) (*osexec.Cmd, error) {
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("%s: exec in task: unshare filesystem attributes: %w", Name, err)
	}
	for i, ns := range taskNamespaces {
		if err := unix.Setns(t.ns[i], ns.flag); err != nil {
			return nil, fmt.Errorf("%s: exec in task: join its %s namespace: %w", Name, ns.name, err)
		}
	}
	// Inherited by the child: like the task, it cannot gain privileges
	// through a setuid binary of the chroot.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("%s: exec in task: set no_new_privs: %w", Name, err)
	}
	// Joining the mount namespace made the task's root this thread's "/".
	path, err := findCommand(argv[0], t.env)
	if err != nil {
		return nil, err
	}
	cmd := osexec.CommandContext(ctx, path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = t.env
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = attr
	// The whole process group goes at the timeout, and output from a
	// grandchild that keeps the pipe open is not waited for long.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: exec %q in task as uid %d: %w", Name, argv[0], t.cred.Uid, err)
	}
	return cmd, nil
}
