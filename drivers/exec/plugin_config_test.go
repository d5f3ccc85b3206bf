package exec_test

import (
	"context"
	"strings"
	"testing"

	"github.com/orch-dev/orch/drivers/drivertest"
	"github.com/orch-dev/orch/drivers/sdk"
)

func TestPluginConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		config  map[string]interface{}
		wantErr string
		script  string
		want    string
	}{
		{
			name:   "chroot_paths replace the defaults",
			config: map[string]interface{}{"chroot_paths": []interface{}{"/bin", "/lib", "/lib64", "/usr"}},
			script: `test -e /etc/passwd || echo no-etc; test -e /sbin || echo no-sbin; echo END`,
			want:   "no-etc\nno-sbin\n",
		},
		{
			name:   "default_user",
			config: map[string]interface{}{"default_user": "daemon"},
			script: `id -un; echo END`,
			want:   "daemon\n",
		},
		{
			name:    "unknown key",
			config:  map[string]interface{}{"chroot_env": []interface{}{"/bin"}},
			wantErr: `exec: unknown config key "chroot_env"; valid keys: chroot_paths, default_user, enabled`,
		},
		{
			name:    "relative chroot path",
			config:  map[string]interface{}{"chroot_paths": []interface{}{"usr"}},
			wantErr: `plugin config "chroot_paths"[0]: "usr" must be an absolute path`,
		},
		{
			name:    "chroot path over the task's own mounts",
			config:  map[string]interface{}{"chroot_paths": []interface{}{"/bin", "/proc"}},
			wantErr: `plugin config "chroot_paths"[1]: "/proc" overlaps the chroot's own /proc`,
		},
		{
			name:    "the whole host",
			config:  map[string]interface{}{"chroot_paths": []interface{}{"/"}},
			wantErr: `"/" would give tasks the whole host filesystem`,
		},
		{
			name:    "enabled must be a bool",
			config:  map[string]interface{}{"enabled": "no"},
			wantErr: `exec: plugin config "enabled" must be true or false, got a string`,
		},
		{
			name:    "default_user must be a name",
			config:  map[string]interface{}{"default_user": 7},
			wantErr: `exec: plugin config "default_user" must be a string, got a number`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := launch(t).Driver
			err := d.SetConfig(&sdk.PluginConfig{Config: tc.config})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("SetConfig error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SetConfig: %v", err)
			}
			res, out := runTask(t, d, taskConfig(t, drivertest.Shell(tc.script)))
			if !res.Successful() || !strings.Contains(out, tc.want) {
				t.Errorf("exit = %+v, stdout %q; want success and %q", res, out, tc.want)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		config   map[string]interface{}
		health   sdk.HealthState
		startErr string
	}{
		{name: "enabled by default", health: sdk.HealthStateHealthy},
		{name: "explicitly enabled", config: map[string]interface{}{"enabled": true}, health: sdk.HealthStateHealthy},
		{name: "disabled", config: map[string]interface{}{"enabled": false}, health: sdk.HealthStateUndetected,
			startErr: `exec: driver is disabled on this client (plugin "exec" { config { enabled = false } })`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := launch(t).Driver
			if err := d.SetConfig(&sdk.PluginConfig{Config: tc.config}); err != nil {
				t.Fatalf("SetConfig: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := d.Fingerprint(ctx)
			if err != nil {
				t.Fatal(err)
			}
			fp := <-ch
			cancel()
			for range ch {
			}
			if fp.Health != tc.health {
				t.Fatalf("fingerprint = %+v, want health %s", fp, tc.health)
			}
			if tc.startErr == "" {
				if fp.Attributes["driver.exec"] != "1" {
					t.Errorf("attributes %v, want driver.exec = 1", fp.Attributes)
				}
				if v := fp.Attributes["driver.exec.cgroup_version"]; v != "1" && v != "2" {
					t.Errorf("driver.exec.cgroup_version = %q, want 1 or 2", v)
				}
				return
			}
			// An undetected driver must not advertise itself to the scheduler.
			if _, ok := fp.Attributes["driver.exec"]; ok {
				t.Errorf("disabled driver still advertises driver.exec: %v", fp.Attributes)
			}
			if _, err := d.StartTask(taskConfig(t, drivertest.Shell("echo ran"))); err == nil || err.Error() != tc.startErr {
				t.Errorf("StartTask error = %v, want %q", err, tc.startErr)
			}
		})
	}
}
