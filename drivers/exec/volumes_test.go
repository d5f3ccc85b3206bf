package exec_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestHostVolumeMounts(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	data, conf := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(conf, "app.conf"), []byte("from-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := taskConfig(t, drivertest.Shell(`echo written-by-task > /srv/data/out
cat /tmp/conf/app.conf
if echo x > /tmp/conf/new 2>/dev/null; then echo WROTE-READ-ONLY; else echo refused; fi
echo END`))
	// As root, only the mount itself can refuse the write: permissions
	// cannot explain a refusal.
	cfg.User = "root"
	cfg.Mounts = []sdk.MountConfig{
		{TaskPath: "/srv/data", HostPath: data},
		// Below /tmp, which the chroot mounts a tmpfs on: the volume must
		// still be what the task sees there.
		{TaskPath: "/tmp/conf", HostPath: conf, Readonly: true},
	}
	res, out := runTask(t, d, cfg)
	if !res.Successful() {
		t.Fatalf("exit = %+v, stdout %q", res, out)
	}
	if got, err := os.ReadFile(filepath.Join(data, "out")); err != nil || string(got) != "written-by-task\n" {
		t.Errorf("host side of the writable volume holds %q, %v; want the task's file", got, err)
	}
	if !strings.Contains(out, "from-host\n") {
		t.Errorf("stdout %q: the task did not read the read-only volume", out)
	}
	if !strings.Contains(out, "refused\n") {
		t.Errorf("stdout %q: a write to the read-only volume was not refused", out)
	}
	if _, err := os.Stat(filepath.Join(conf, "new")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the task created a file in the read-only host directory (%v)", err)
	}
}

func TestHostVolumeMountErrors(t *testing.T) {
	t.Parallel()
	d := launch(t).Driver
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		mount sdk.MountConfig
		want  string
	}{
		{"missing host path", sdk.MountConfig{TaskPath: "/data", HostPath: filepath.Join(t.TempDir(), "gone")}, "exec: host volume path: stat"},
		{"host path is a file", sdk.MountConfig{TaskPath: "/data", HostPath: file}, "is not a directory"},
		{"relative destination", sdk.MountConfig{TaskPath: "data", HostPath: t.TempDir()}, `destination "data" must be an absolute path`},
		{"the root itself", sdk.MountConfig{TaskPath: "/", HostPath: t.TempDir()}, `destination "/" must be an absolute path below /`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := taskConfig(t, drivertest.Shell("echo END"))
			cfg.Mounts = []sdk.MountConfig{tc.mount}
			_, err := d.StartTask(cfg)
			if err == nil {
				_ = d.DestroyTask(cfg.ID, true)
				t.Fatalf("StartTask succeeded, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}
