package docker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/sdk"
)

// TestPrivilegedSpec: with allow_privileged the container is created
// privileged. The engine test cannot check this where the engine itself
// runs without the capabilities to grant.
func TestPrivilegedSpec(t *testing.T) {
	t.Parallel()
	cfg := &sdk.TaskConfig{ID: "a/web/1", Name: "web", AllocID: "a", AllocDir: t.TempDir()}
	for _, allow := range []bool{false, true} {
		tc, err := ParseConfig(map[string]interface{}{"image": "x", "privileged": true})
		if err != nil {
			t.Fatal(err)
		}
		pc := defaultPluginConfig()
		pc.AllowPrivileged = allow
		err = checkHostAccess(cfg, tc, pc)
		if allow != (err == nil) {
			t.Errorf("allow_privileged = %v: checkHostAccess = %v", allow, err)
		}
		spec, err := buildContainerSpec(cfg, tc)
		if err != nil {
			t.Fatal(err)
		}
		if !spec.host.Privileged {
			t.Error("privileged = true did not reach the container's host config")
		}
	}
}

func TestInsideDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "web", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "web", "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("data", filepath.Join(root, "web", "in")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want bool
	}{
		{root, true},
		{filepath.Join(root, "web", "data"), true},
		{filepath.Join(root, "web", "not-yet", "created"), true},
		{filepath.Join(root, "web", "in", "x"), true},
		{filepath.Join(root, "web", "..", "..", "etc"), false},
		{filepath.Join(root, "web", "out"), false},
		{filepath.Join(root, "web", "out", "missing", "dir"), false},
		{root + "-sibling", false},
		{"/", false},
		{"relative", false},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, root), func(t *testing.T) {
			if got := insideDir(root, tc.path); got != tc.want {
				t.Errorf("insideDir(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
}
