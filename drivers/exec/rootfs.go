package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// devices are bind-mounted from the host into the task's /dev: what
// programs expect to open, and nothing that reaches hardware.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// buildRoot assembles the task's root filesystem at s.Root inside the
// shim's new mount namespace. The root itself is a small tmpfs holding
// only mount points, so nothing is copied and nothing is left on the host:
// the whole tree vanishes with the namespace when the task's last process
// exits.
func buildRoot(s *shimSpec) error {
	// Private first: otherwise every mount below would propagate back to
	// the host's namespace through a shared parent mount.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("%s: make mounts private: %w", Name, err)
	}
	root := s.Root
	if err := unix.Mount("tmpfs", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755,size=1m"); err != nil {
		return fmt.Errorf("%s: mount chroot at %s: %w", Name, root, err)
	}
	for _, p := range s.ChrootPaths {
		if err := bindHostPath(root, p); err != nil {
			return fmt.Errorf("%s: chroot path %s: %w", Name, p, err)
		}
	}
	for _, b := range s.Binds {
		if err := bindInto(root, b); err != nil {
			return err
		}
	}
	if err := mountDev(root); err != nil {
		return err
	}
	if err := mountProc(root); err != nil {
		return err
	}
	if err := mountTmpfs(filepath.Join(root, "tmp"), "mode=1777"); err != nil {
		return err
	}
	for _, v := range s.Volumes {
		if err := bindInto(root, v); err != nil {
			return fmt.Errorf("host volume: %w", err)
		}
	}
	return nil
}

// bindInto bind-mounts b.Source at b.Target under root, creating the
// mount point, and makes it read-only when b says so. The read-only flag
// covers the bound directory itself; mounts the host has below it keep
// their own flags.
func bindInto(root string, b bindMount) error {
	target := filepath.Join(root, b.Target)
	if err := os.MkdirAll(target, 0o755); err != nil {
		return fmt.Errorf("%s: mount point %s: %w", Name, b.Target, err)
	}
	if err := unix.Mount(b.Source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("%s: mount %s at %s: %w", Name, b.Source, b.Target, err)
	}
	if b.ReadOnly {
		if err := remountReadOnly(b.Source, target); err != nil {
			return fmt.Errorf("%s: mount %s at %s: %w", Name, b.Source, b.Target, err)
		}
	}
	return nil
}

// bindHostPath mounts host path p read-only at the same place under root.
// A symlink (/lib -> usr/lib on merged-/usr systems) is recreated as a
// symlink, so it resolves inside the chroot as it does on the host.
func bindHostPath(root, p string) error {
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	target := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		dest, err := os.Readlink(p)
		if err != nil {
			return err
		}
		return os.Symlink(dest, target)
	case st.IsDir():
		// A nested chroot path (/usr/local below /usr) finds its mount
		// point already there, in the read-only parent.
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
	default:
		if err := touch(target); err != nil {
			return err
		}
	}
	if err := unix.Mount(p, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount: %w", err)
	}
	return remountReadOnly(p, target)
}

// remountReadOnly makes a bind mount read-only. A bind mount starts with
// its source's flags and MS_REMOUNT replaces them all, so the source's
// nodev and noexec are carried over; nosuid is added because a task must
// not gain privileges from a setuid binary of the host.
func remountReadOnly(source, target string) error {
	var sfs unix.Statfs_t
	if err := unix.Statfs(source, &sfs); err != nil {
		return fmt.Errorf("statfs: %w", err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID)
	for _, f := range [][2]int64{{unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC}, {unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_RELATIME, unix.MS_RELATIME}} {
		if sfs.Flags&f[0] != 0 {
			flags |= uintptr(f[1])
		}
	}
	if err := unix.Mount("", target, "", flags, ""); err != nil {
		return fmt.Errorf("remount read-only: %w", err)
	}
	return nil
}

// mountDev gives the task a minimal /dev of host device nodes.
func mountDev(root string) error {
	dev := filepath.Join(root, "dev")
	if err := mountTmpfs(dev, "mode=0755"); err != nil {
		return err
	}
	for _, d := range devices {
		target := filepath.Join(dev, d)
		if err := touch(target); err != nil {
			return fmt.Errorf("%s: /dev/%s: %w", Name, d, err)
		}
		if err := unix.Mount("/dev/"+d, target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("%s: mount /dev/%s: %w", Name, d, err)
		}
	}
	links := map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"}
	for name, dest := range links {
		if err := os.Symlink(dest, filepath.Join(dev, name)); err != nil {
			return fmt.Errorf("%s: /dev/%s: %w", Name, name, err)
		}
	}
	return mountTmpfs(filepath.Join(dev, "shm"), "mode=1777")
}

// mountProc mounts a proc filesystem of the task's own PID namespace, so
// the task sees only its own processes. /proc/sys stays read-only: its
// knobs are the host kernel's, not the task's.
func mountProc(root string) error {
	proc := filepath.Join(root, "proc")
	if err := os.Mkdir(proc, 0o555); err != nil {
		return fmt.Errorf("%s: mount point /proc: %w", Name, err)
	}
	if err := unix.Mount("proc", proc, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("%s: mount /proc: %w", Name, err)
	}
	sys := filepath.Join(proc, "sys")
	if err := unix.Mount(sys, sys, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("%s: protect /proc/sys: %w", Name, err)
	}
	if err := remountReadOnly(sys, sys); err != nil {
		return fmt.Errorf("%s: protect /proc/sys: %w", Name, err)
	}
	return nil
}

func mountTmpfs(dir, opts string) error {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s: mount point %s: %w", Name, filepath.Base(dir), err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("%s: mount tmpfs at %s: %w", Name, filepath.Base(dir), err)
	}
	return nil
}

func touch(p string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// enterRoot makes root the process's root with pivot_root, then detaches
// the old root so no path, and no "..", leads back to the host's files,
// which a chroot alone would not guarantee to a task running as root.
// The root tmpfs then turns read-only: its only entries are mount points.
func enterRoot(root string) error {
	if err := os.Chdir(root); err != nil {
		return fmt.Errorf("%s: enter chroot: %w", Name, err)
	}
	// With new and old root the same directory, the old root ends up
	// stacked under the new one at "/", where it can be detached.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("%s: pivot_root: %w", Name, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("%s: detach host root: %w", Name, err)
	}
	if err := os.Chdir("/"); err != nil {
		return fmt.Errorf("%s: enter chroot: %w", Name, err)
	}
	if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("%s: make chroot read-only: %w", Name, err)
	}
	return nil
}
