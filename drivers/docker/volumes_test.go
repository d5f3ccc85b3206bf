package docker_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

// Host volumes are bind mounts of directories the client's operator
// offered, so they need no volumes.enabled in the plugin config; a
// read-only one refuses writes inside the container.
func TestHostVolumeMounts(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	data, conf := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(conf, "app.conf"), []byte("from-host"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := taskConfig(t, prog("write", "/srv/data/out", "written-by-task", "/etc/app/new", "x"))
	cfg.Mounts = []sdk.MountConfig{
		{TaskPath: "/srv/data", HostPath: data},
		{TaskPath: "/etc/app", HostPath: conf, Readonly: true},
	}
	start(t, d, cfg)
	if res := drivertest.WaitExit(t, d, cfg.ID, 30*time.Second); !res.Successful() {
		b, _ := os.ReadFile(logFile(cfg.StderrPath))
		t.Fatalf("exit = %+v, stderr %q", res, b)
	}
	fileContains(t, cfg.StdoutPath, "wrote /srv/data/out\n")
	fileContains(t, cfg.StdoutPath, "failed /etc/app/new: open /etc/app/new: read-only file system\n")
	if got, err := os.ReadFile(filepath.Join(data, "out")); err != nil || string(got) != "written-by-task" {
		t.Errorf("host side of the writable volume holds %q, %v; want the task's file", got, err)
	}
	if _, err := os.Stat(filepath.Join(conf, "new")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the task created a file in the read-only host directory (%v)", err)
	}

	// The read-only volume is still readable.
	read := taskConfig(t, prog("cat", "/etc/app/app.conf"))
	read.Mounts = []sdk.MountConfig{{TaskPath: "/etc/app", HostPath: conf, Readonly: true}}
	start(t, d, read)
	if res := drivertest.WaitExit(t, d, read.ID, 30*time.Second); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	fileContains(t, read.StdoutPath, "from-host")
}
