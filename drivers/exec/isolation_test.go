package exec_test

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/orch-dev/orch/drivers/drivertest"
)

func TestIsolation(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver

	secret := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(secret, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	host := osexec.Command("sleep", "60")
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Process.Kill(); _ = host.Wait() })
	hostPid := host.Process.Pid

	cases := []struct {
		name   string
		script string
		user   string
		want   []string // lines stdout must contain
		check  func(t *testing.T, out string)
	}{
		{
			name:   "pid namespace: the task is init and sees only its own processes",
			script: `echo "self=$$"; test -e /proc/` + strconv.Itoa(hostPid) + ` && echo host-visible; echo "pids=$(ls /proc | grep '^[0-9]' | tr '\n' ' ')"; echo END`,
			want:   []string{"self=1\n"},
			check: func(t *testing.T, out string) {
				// sh, its command substitution, ls and grep: pids 1 to 4
				// of the task's own namespace, never a host pid.
				_, list, _ := strings.Cut(out, "pids=")
				list, _, _ = strings.Cut(list, "\n")
				for _, f := range strings.Fields(list) {
					if n, err := strconv.Atoi(f); err != nil || n > 10 {
						t.Errorf("task saw pid %q; want only its namespace's small pids: %s", f, list)
					}
				}
				if strings.Contains(out, "host-visible") {
					t.Errorf("task saw host pid %d in /proc", hostPid)
				}
			},
		},
		{
			name:   "pid namespace: a host process cannot be signalled",
			script: "kill -9 " + strconv.Itoa(hostPid) + ` 2>/dev/null; echo "kill=$?"; echo END`,
			want:   []string{"kill=1\n"},
		},
		{
			name:   "chroot: only the chroot paths and the task dirs are visible",
			script: `test -e ` + secret + ` && echo secret-visible; echo "root=$(ls / | tr '\n' ' ')"; test -e /var || echo no-var; echo END`,
			want:   []string{"root=alloc bin dev etc lib lib64 local proc sbin secrets tmp usr \n", "no-var\n"},
		},
		{
			name:   "uts namespace: hostname is the task name",
			script: `echo "host=$(cat /proc/sys/kernel/hostname)"; echo END`,
			want:   []string{"host=web\n"},
		},
		{
			name:   "user: nobody by default, with no supplementary groups",
			script: `echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"; echo END`,
			want:   []string{"uid=65534 gid=65534 groups=65534\n"},
		},
		{
			name:   "user: the task's user overrides",
			script: `echo "user=$(id -un)"; echo END`,
			user:   "daemon",
			want:   []string{"user=daemon\n"},
		},
		{
			name:   "env: task directories are named as the task sees them",
			script: `echo "dirs=$NOMAD_ALLOC_DIR $NOMAD_TASK_DIR $NOMAD_SECRETS_DIR"; echo END`,
			want:   []string{"dirs=/alloc /local /secrets\n"},
		},
		{
			name:   "read-only chroot paths and root",
			script: `touch /usr/x 2>/dev/null || echo usr-ro; mkdir /x 2>/dev/null || echo root-ro; echo END`,
			want:   []string{"usr-ro\n", "root-ro\n"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, drivertest.Shell(tc.script))
			cfg.User = tc.user
			res, out := runTask(t, d, cfg)
			if !res.Successful() {
				t.Errorf("exit = %+v, want success; stdout:\n%s", res, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tc.check != nil {
				tc.check(t, out)
			}
			if strings.Contains(out, "secret-visible") {
				t.Errorf("task saw %s outside its chroot", secret)
			}
		})
	}
	if err := host.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("host process %d was killed from inside a task: %v", hostPid, err)
	}
}
