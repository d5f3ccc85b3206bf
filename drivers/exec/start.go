package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/drivers/sdk"
	"github.com/orch-dev/orch/drivers/sdk/logfifo"
	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

// rootDirName is the mount point of a task's root filesystem inside its
// task directory. On the host it stays an empty directory: the tree is
// mounted on it only inside the task's mount namespace.
const rootDirName = ".root"

// shimSetupTimeout bounds the shim's setup; a shim that hangs (a stuck
// NFS chroot path) fails the start instead of blocking it forever.
const shimSetupTimeout = 30 * time.Second

// In-chroot places of the task directories, as Nomad's exec driver has
// them, so jobs written for Nomad find their files.
const (
	chrootAllocDir   = "/alloc"
	chrootLocalDir   = "/local"
	chrootSecretsDir = "/secrets"
)

func (d *Driver) StartTask(cfg *sdk.TaskConfig) (*sdk.TaskHandle, error) {
	if cfg == nil || cfg.ID == "" {
		return nil, fmt.Errorf("%s: start task: task config with an ID is required", Name)
	}
	if _, err := d.handle(cfg.ID); err == nil {
		return nil, fmt.Errorf("%s: task %q is already started", Name, cfg.ID)
	}
	if cfg.TaskDir == "" {
		return nil, fmt.Errorf("%s: task %q has no task directory", Name, cfg.ID)
	}
	if err := d.unusable(); err != nil {
		return nil, err
	}
	tc, err := ParseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	d.mu.RLock()
	pc, paths := d.cfg, d.paths
	d.mu.RUnlock()
	userName := cfg.User
	if userName == "" {
		userName = pc.DefaultUser
	}
	cred, err := lookupUser(userName)
	if err != nil {
		return nil, err
	}
	binds, err := prepareTaskDirs(cfg, cred)
	if err != nil {
		return nil, err
	}
	volumes, err := volumeBinds(cfg.Mounts)
	if err != nil {
		return nil, err
	}
	spec := &shimSpec{
		Root:        filepath.Join(cfg.TaskDir, rootDirName),
		ChrootPaths: paths,
		Binds:       binds,
		Volumes:     volumes,
		Hostname:    cfg.Name,
		Command:     tc.Command,
		Args:        tc.Args,
		Env:         taskproc.Env(chrootEnv(cfg.Env, binds)),
		User:        *cred,
	}
	logger := d.logger.With("task_id", cfg.ID)
	cg, err := d.cgroups.create(cgroupName(cfg.ID), cfg.Resources)
	if err != nil {
		return nil, err
	}
	h, err := d.launch(cfg, spec, cg, logger)
	if err != nil {
		if cerr := cg.destroy(cgroupRemoveTimeout); cerr != nil {
			logger.Warn("removing cgroup of a task that did not start failed", "error", cerr)
		}
		return nil, err
	}
	state, err := (&driverState{
		Pid: h.pid, StartTime: h.startTime, StartedAt: h.startedAt, Cgroup: cg,
		StdoutFIFO: h.fifos[0], StderrFIFO: h.fifos[1],
	}).encode()
	if err != nil {
		h.kill()
		return nil, err
	}
	d.mu.Lock()
	if _, dup := d.tasks[cfg.ID]; dup {
		d.mu.Unlock()
		h.kill()
		return nil, fmt.Errorf("%s: task %q is already started", Name, cfg.ID)
	}
	d.tasks[cfg.ID] = h
	d.mu.Unlock()
	logger.Debug("task started", "pid", h.pid, "command", tc.Command, "uid", cred.UID)
	return &sdk.TaskHandle{Version: handleVersion, Config: cfg, State: sdk.TaskStateRunning, DriverState: state}, nil
}

// prepareTaskDirs creates the root mount point and the task's own
// directories, hands local/ and secrets/ to the task's user (the client
// creates them root-owned, and secrets/ private), and returns the
// writable binds of the chroot.
func prepareTaskDirs(cfg *sdk.TaskConfig, cred *credential) ([]bindMount, error) {
	if err := os.MkdirAll(filepath.Join(cfg.TaskDir, rootDirName), 0o755); err != nil {
		return nil, fmt.Errorf("%s: create chroot mount point: %w", Name, err)
	}
	var binds []bindMount
	own := []struct {
		name, target string
		mode         os.FileMode
	}{{"local", chrootLocalDir, 0o755}, {"secrets", chrootSecretsDir, 0o700}}
	for _, o := range own {
		dir := filepath.Join(cfg.TaskDir, o.name)
		if err := os.MkdirAll(dir, o.mode); err != nil {
			return nil, fmt.Errorf("%s: create task directory: %w", Name, err)
		}
		if err := os.Lchown(dir, int(cred.UID), int(cred.GID)); err != nil {
			return nil, fmt.Errorf("%s: give %s to the task's user: %w", Name, dir, err)
		}
		binds = append(binds, bindMount{Source: dir, Target: o.target})
	}
	if cfg.AllocDir != "" {
		shared := filepath.Join(cfg.AllocDir, "alloc")
		if st, err := os.Stat(shared); err == nil && st.IsDir() {
			binds = append(binds, bindMount{Source: shared, Target: chrootAllocDir})
		}
	}
	return binds, nil
}

// volumeBinds turns the task's host volume mounts into chroot binds. The
// host path must be a directory: the shim would otherwise fail inside the
// task's namespace with a less telling error.
func volumeBinds(mounts []sdk.MountConfig) ([]bindMount, error) {
	var out []bindMount
	for _, m := range mounts {
		if !filepath.IsAbs(m.TaskPath) || filepath.Clean(m.TaskPath) == "/" {
			return nil, fmt.Errorf("%s: volume mount destination %q must be an absolute path below /", Name, m.TaskPath)
		}
		if st, err := os.Stat(m.HostPath); err != nil {
			return nil, fmt.Errorf("%s: host volume path: %w", Name, err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("%s: host volume path %s is not a directory", Name, m.HostPath)
		}
		out = append(out, bindMount{Source: m.HostPath, Target: filepath.Clean(m.TaskPath), ReadOnly: m.Readonly})
	}
	return out, nil
}

// chrootEnv rewrites the values that name a host directory now mounted
// in the chroot (NOMAD_TASK_DIR, ORCH_ALLOC_DIR, ...) to the in-chroot
// path: the client builds the environment with host paths for every
// driver, but the task cannot see those.
func chrootEnv(env map[string]string, binds []bindMount) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		for _, b := range binds {
			if v == b.Source {
				v = b.Target
				break
			}
			if rest, ok := strings.CutPrefix(v, b.Source+"/"); ok {
				v = b.Target + "/" + rest
				break
			}
		}
		out[k] = v
	}
	return out
}

// launch starts the shim in new namespaces, puts it in the task's cgroup
// before it does anything, hands it the spec, and waits for the outcome:
// the error pipe closing without a word means the task's command runs.
func (d *Driver) launch(cfg *sdk.TaskConfig, spec *shimSpec, cg *taskCgroup, logger hclog.Logger) (*taskHandle, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("%s: shim pipe: %w", Name, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(specR, specW)
		return nil, fmt.Errorf("%s: shim pipe: %w", Name, err)
	}
	defer closeAll(specW, errR)
	out, err := logfifo.OpenOutput(logger, Name, cfg)
	if err != nil {
		closeAll(specR, errW)
		return nil, err
	}
	cmd := &osexec.Cmd{
		Path: "/proc/self/exe",
		Args: []string{"orch-exec-shim"},
		// The shim's environment only: the task gets spec.Env. One P is
		// plenty for a program that lives a few milliseconds.
		Env:        []string{EnvShim + "=1", "GOMAXPROCS=1"},
		Stdout:     out.Stdout,
		Stderr:     out.Stderr,
		ExtraFiles: []*os.File{specR, errW},
		// No Pdeathsig: tasks outlive a plugin restart on purpose. A new
		// session keeps terminal signals of the agent away from the task.
		SysProcAttr: &syscall.SysProcAttr{
			Setsid:     true,
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		},
	}
	startedAt := time.Now()
	err = cmd.Start()
	closeAll(specR, errW)
	if err != nil {
		out.Abandon()
		return nil, fmt.Errorf("%s: start shim: %w", Name, err)
	}
	out.Started()
	pid := cmd.Process.Pid
	if err := setupShim(cg, pid, spec, specW, errR); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logfifo.RemoveFIFOs(out.StdoutFIFO, out.StderrFIFO)
		return nil, err
	}
	// Not yet reaped, so /proc still has the process even if it exited.
	st, err := taskproc.ReadStat(pid)
	if err != nil {
		logger.Warn("reading task start time failed; recovery will not detect pid reuse", "pid", pid, "error", err)
		st = &taskproc.Stat{}
	}
	h := &taskHandle{
		id: cfg.ID, name: cfg.Name,
		pid: pid, startTime: st.StartTime, startedAt: startedAt,
		cgroup: cg,
		fifos:  [2]string{out.StdoutFIFO, out.StderrFIFO},
		logger: logger,
		exit:   taskproc.NewExit(),
	}
	go h.waitChild(cmd.Process)
	return h, nil
}

// setupShim runs the driver's half of the start protocol. The shim blocks
// reading its spec, so joining the cgroup first charges everything the
// task does, the shim's own setup included, to the task.
func setupShim(cg *taskCgroup, pid int, spec *shimSpec, specW, errR *os.File) error {
	if err := cg.addProc(pid); err != nil {
		return err
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("%s: encode task spec: %w", Name, err)
	}
	if _, err := specW.Write(b); err != nil {
		return fmt.Errorf("%s: send task spec to shim: %w", Name, err)
	}
	if err := specW.Close(); err != nil {
		return fmt.Errorf("%s: send task spec to shim: %w", Name, err)
	}
	_ = errR.SetReadDeadline(time.Now().Add(shimSetupTimeout))
	msg, err := io.ReadAll(errR)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%s: task setup did not finish within %s", Name, shimSetupTimeout)
	case err != nil:
		return fmt.Errorf("%s: read task setup result: %w", Name, err)
	case len(msg) > 0:
		return errors.New(string(msg))
	}
	return nil
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		_ = f.Close()
	}
}
