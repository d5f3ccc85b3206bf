package allocdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBuild(t *testing.T) {
	t.Parallel()
	d := New(t.TempDir(), "a1")
	if err := d.Build([]string{"web", "sidecar"}); err != nil {
		t.Fatalf("build: %v", err)
	}
	// A second build must succeed: runners rebuild after an agent restart.
	if err := d.Build([]string{"web", "sidecar"}); err != nil {
		t.Fatalf("second build: %v", err)
	}
	web := d.TaskDir("web")
	want := map[string]os.FileMode{
		d.LogDir:                               0o755,
		filepath.Join(d.SharedDir, "data"):     0o777 | os.ModeSticky,
		filepath.Join(d.SharedDir, "tmp"):      0o777 | os.ModeSticky,
		web.LocalDir:                           0o777 | os.ModeSticky,
		web.SecretsDir:                         0o700,
		d.TaskDir("sidecar").LocalDir:          0o777 | os.ModeSticky,
		filepath.Join(d.Dir, "sidecar", "tmp"): 0o777 | os.ModeSticky,
	}
	for path, mode := range want {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			info, err := os.Stat(path)
			if err != nil {
				t.Fatalf("stat: %v", err)
			}
			if got := info.Mode() &^ os.ModeDir; got != mode {
				t.Fatalf("mode = %v, want %v", got, mode)
			}
		})
	}
	if got := d.LogPath("web", "stdout"); got != filepath.Join(d.Dir, "alloc", "logs", "web.stdout") {
		t.Fatalf("log path = %s", got)
	}
	if err := d.Destroy(); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if _, err := os.Stat(d.Dir); !os.IsNotExist(err) {
		t.Fatalf("alloc dir still exists after destroy: %v", err)
	}
}
