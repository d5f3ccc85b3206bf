package docker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/orch-dev/orch/drivers/sdk"
)

// checkHostAccess refuses what would give a task more of the host than
// its own allocation unless the client's operator allowed it: privileged
// containers (allow_privileged) and bind mounts of host paths outside the
// allocation directory (volumes.enabled). It runs at StartTask because
// only the client knows its plugin config; job validation cannot.
func checkHostAccess(cfg *sdk.TaskConfig, tc *TaskConfig, pc *pluginConfig) error {
	var errs []error
	if tc.Privileged && !pc.AllowPrivileged {
		errs = append(errs, fmt.Errorf(`docker: config "privileged" is refused on this client: set plugin "docker" { config { allow_privileged = true } } in the agent's config to allow privileged containers`))
	}
	if pc.VolumesEnabled {
		return errors.Join(errs...)
	}
	root := cfg.AllocDir
	if root == "" {
		root = cfg.TaskDir
	}
	for i, v := range tc.Volumes {
		if !insideDir(root, hostPath(cfg.TaskDir, v.HostPath)) {
			errs = append(errs, fmt.Errorf(`docker: config "volumes"[%d]: host path %q is outside the allocation directory; use a path relative to the task directory, or set plugin "docker" { config { volumes { enabled = true } } } in the agent's config to allow host paths`, i, v.HostPath))
		}
	}
	for i, m := range tc.Mounts {
		if m.Type != "bind" {
			// Named volumes and tmpfs are the engine's storage, not host paths.
			continue
		}
		if !insideDir(root, hostPath(cfg.TaskDir, m.Source)) {
			errs = append(errs, fmt.Errorf(`docker: config mount[%d]: bind source %q is outside the allocation directory; use a path relative to the task directory, or set plugin "docker" { config { volumes { enabled = true } } } in the agent's config to allow host paths`, i, m.Source))
		}
	}
	return errors.Join(errs...)
}

// insideDir reports whether path is root or below it once ".." and
// symlinks are resolved: a task can create symlinks in its own directory
// (an artifact, a template), and the engine follows them when it binds.
func insideDir(root, path string) bool {
	if root == "" || !filepath.IsAbs(path) {
		return false
	}
	realRoot := resolveExisting(filepath.Clean(root))
	real := resolveExisting(filepath.Clean(path))
	rel, err := filepath.Rel(realRoot, real)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resolveExisting resolves the symlinks of the longest existing prefix of
// p and appends the rest unchanged. The engine creates a missing bind
// source, so where it would land depends on the part that exists.
func resolveExisting(p string) string {
	var rest []string
	for cur := p; ; {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{real}, rest...)...)
		} else if !errors.Is(err, os.ErrNotExist) {
			// Unreadable: judge the path as written rather than guess.
			return p
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}
