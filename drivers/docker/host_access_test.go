package docker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

// TestHostAccess: by default a task reaches no host path outside its
// allocation and cannot run privileged, however it spells the path; the
// plugin config keys volumes.enabled and allow_privileged lift that.
func TestHostAccess(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		plugin map[string]interface{}
		// config builds the task's config once its directories exist.
		config func(cfg *sdk.TaskConfig) map[string]interface{}
		// wantErr is what StartTask must refuse with; empty means the
		// task must run and print want.
		wantErr    string
		want       string
		privileged bool
	}{
		{name: "host path refused", config: func(*sdk.TaskConfig) map[string]interface{} {
			return volume(outside + ":/host:ro")
		}, wantErr: `host path "` + outside + `" is outside the allocation directory`},
		{name: "relative path climbing out refused", config: func(cfg *sdk.TaskConfig) map[string]interface{} {
			rel, err := filepath.Rel(cfg.TaskDir, outside)
			if err != nil {
				t.Fatal(err)
			}
			return volume(rel + ":/host:ro")
		}, wantErr: `is outside the allocation directory`},
		{name: "symlink in the task dir refused", config: func(cfg *sdk.TaskConfig) map[string]interface{} {
			if err := os.Symlink(outside, filepath.Join(cfg.TaskDir, "escape")); err != nil {
				t.Fatal(err)
			}
			return bindMount("escape/secret.txt", "/host/secret.txt")
		}, wantErr: `config mount[0]: bind source "escape/secret.txt" is outside the allocation directory`},
		{name: "absolute path inside the allocation allowed", config: func(cfg *sdk.TaskConfig) map[string]interface{} {
			writeFile(t, filepath.Join(cfg.AllocDir, "alloc", "shared.txt"), "shared by the group")
			return withCat(volume(filepath.Join(cfg.AllocDir, "alloc")+":/shared:ro"), "/shared/shared.txt")
		}, want: "shared by the group"},
		{name: "host path with volumes enabled", plugin: map[string]interface{}{"volumes": []interface{}{map[string]interface{}{"enabled": true}}},
			config: func(*sdk.TaskConfig) map[string]interface{} {
				return withCat(bindMount(outside, "/host"), "/host/secret.txt")
			}, want: "host secret"},
		{name: "privileged refused", config: func(*sdk.TaskConfig) map[string]interface{} {
			return map[string]interface{}{"privileged": true}
		}, wantErr: `set plugin "docker" { config { allow_privileged = true } }`},
		{name: "privileged with allow_privileged", plugin: map[string]interface{}{"allow_privileged": true},
			config: func(*sdk.TaskConfig) map[string]interface{} {
				return map[string]interface{}{"privileged": true}
			}, privileged: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := launch(t, tc.plugin).Driver
			cfg := taskConfig(t, map[string]interface{}{})
			for k, v := range tc.config(cfg) {
				cfg.Config[k] = v
			}
			if tc.wantErr != "" {
				_, err := d.StartTask(cfg)
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("StartTask error = %v, want it to contain %q", err, tc.wantErr)
				}
				if n := countAllocContainers(t, cfg.AllocID); n != 0 {
					t.Errorf("%d containers created for a refused task", n)
				}
				return
			}
			if tc.privileged {
				h, err := d.StartTask(cfg)
				if err != nil && strings.Contains(err.Error(), "unable to apply caps") {
					// An engine inside an unprivileged container cannot grant
					// them; orch's part is covered by TestPrivilegedSpec.
					t.Skipf("this engine cannot run privileged containers: %v", err)
				}
				if err != nil {
					t.Fatalf("StartTask: %v", err)
				}
				t.Cleanup(func() { _ = d.DestroyTask(cfg.ID, true) })
				info, err := engine(t).ContainerInspect(context.Background(), containerID(t, h))
				if err != nil {
					t.Fatal(err)
				}
				if !info.HostConfig.Privileged {
					t.Error("container is not privileged")
				}
				return
			}
			start(t, d, cfg)
			if res := drivertest.WaitExit(t, d, cfg.ID, 30*time.Second); !res.Successful() {
				t.Fatalf("exit = %+v", res)
			}
			fileContains(t, cfg.StdoutPath, tc.want)
		})
	}
}

func volume(spec string) map[string]interface{} {
	return map[string]interface{}{"volumes": []interface{}{spec}}
}

func bindMount(source, target string) map[string]interface{} {
	return map[string]interface{}{"mount": []interface{}{map[string]interface{}{"type": "bind", "source": source, "target": target, "readonly": true}}}
}

func withCat(config map[string]interface{}, path string) map[string]interface{} {
	config["command"] = "/testprog"
	config["args"] = []interface{}{"cat", path}
	return config
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
