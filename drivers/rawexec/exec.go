package rawexec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/orch-dev/orch/drivers/shared/taskproc"
)

// resolveCommand finds the program to execute. A path with a slash is
// taken relative to the task directory; a bare name is looked for in the
// task's local/ directory and task directory (where artifacts and
// templates land, as in Nomad) and then in the task's PATH, not the
// agent's.
func resolveCommand(command, taskDir string, env map[string]string) (string, error) {
	if strings.Contains(command, "/") {
		p := command
		if !filepath.IsAbs(p) {
			p = filepath.Join(taskDir, p)
		}
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("raw_exec: config \"command\" %q: %w", command, err)
		}
		return p, nil
	}
	var candidates []string
	if taskDir != "" {
		candidates = append(candidates, filepath.Join(taskDir, "local", command), filepath.Join(taskDir, command))
	}
	path, ok := env["PATH"]
	if !ok {
		path = taskproc.DefaultPath
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(taskDir, dir)
		}
		candidates = append(candidates, filepath.Join(dir, command))
	}
	for _, c := range candidates {
		if checkExecutable(c) == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("raw_exec: config \"command\" %q not found in the task directory or the task's PATH (%s)", command, path)
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

// credential returns who the task runs as. Switching users needs root; an
// unprivileged agent may still name its own user, which changes nothing,
// so dev agents can run jobspecs written for production.
func credential(name string) (*syscall.Credential, error) {
	if name == "" {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("raw_exec: task user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("raw_exec: task user %q has a non-numeric uid %q", name, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("raw_exec: task user %q has a non-numeric gid %q", name, u.Gid)
	}
	if os.Geteuid() != 0 {
		if int(uid) == os.Geteuid() {
			return nil, nil
		}
		return nil, fmt.Errorf("raw_exec: task user %q needs the client agent to run as root", name)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if gids, err := u.GroupIds(); err == nil {
		for _, g := range gids {
			if n, err := strconv.ParseUint(g, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, nil
}
