package docker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

func TestFingerprint(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	cases := []struct {
		name     string
		config   map[string]interface{}
		health   sdk.HealthState
		wantDesc string
		wantAttr bool
	}{
		{name: "engine reachable", config: map[string]interface{}{"fingerprint_interval": "100ms"},
			health: sdk.HealthStateHealthy, wantDesc: "healthy", wantAttr: true},
		{name: "dead endpoint", config: map[string]interface{}{"endpoint": "unix:///nonexistent.sock", "fingerprint_interval": "100ms"},
			health: sdk.HealthStateUnhealthy, wantDesc: "docker engine at unix:///nonexistent.sock unreachable"},
		{name: "disabled", config: map[string]interface{}{"enabled": false, "fingerprint_interval": "100ms"},
			health: sdk.HealthStateUndetected, wantDesc: `disabled in the agent's plugin "docker" config`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := launch(t, tc.config).Driver
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ch, err := d.Fingerprint(ctx)
			if err != nil {
				t.Fatalf("Fingerprint: %v", err)
			}
			fp, ok := <-ch
			if !ok {
				t.Fatal("fingerprint stream closed without a report")
			}
			if fp.Health != tc.health || !strings.Contains(fp.HealthDescription, tc.wantDesc) {
				t.Errorf("fingerprint = %s %q, want %s %q", fp.Health, fp.HealthDescription, tc.health, tc.wantDesc)
			}
			if got := fp.Attributes["driver.docker"] == "1" && fp.Attributes["driver.docker.version"] != ""; got != tc.wantAttr {
				t.Errorf("attributes %v: driver.docker and its version present = %v, want %v", fp.Attributes, got, tc.wantAttr)
			}
			if tc.health == sdk.HealthStateUndetected {
				cfg := taskConfig(t, map[string]interface{}{"image": testImage})
				if _, err := d.StartTask(cfg); err == nil || !strings.Contains(err.Error(), `docker: driver is disabled on this client`) {
					t.Errorf("StartTask on a disabled driver = %v, want the disabled error", err)
				}
			}
			// Nothing changes, so nothing more arrives, though the engine
			// is checked every 100ms; the stream ends with ctx.
			quiet, stop := context.WithTimeout(ctx, 500*time.Millisecond)
			defer stop()
			select {
			case fp, ok := <-ch:
				if ok {
					t.Errorf("unchanged fingerprint sent again: %+v", fp)
				}
			case <-quiet.Done():
			}
			cancel()
			for range ch {
			}
		})
	}
}

func TestPluginConfigErrors(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	d := launch(t, nil).Driver
	cases := []struct {
		config map[string]interface{}
		want   string
	}{
		{map[string]interface{}{"endpont": "x"}, `unknown key "endpont" in plugin config; valid keys: allow_privileged, enabled, endpoint, fingerprint_interval, pull_activity_timeout, pull_timeout, volumes`},
		{map[string]interface{}{"enabled": "no"}, `plugin config "enabled" must be true or false, got a string`},
		{map[string]interface{}{"allow_privileged": 1}, `plugin config "allow_privileged" must be true or false, got a number`},
		{map[string]interface{}{"volumes": map[string]interface{}{"enable": true}}, `unknown key "enable" in plugin config volumes; valid keys: enabled`},
		{map[string]interface{}{"volumes": []interface{}{map[string]interface{}{"enabled": "yes"}}}, `plugin config volumes "enabled" must be true or false, got a string`},
		{map[string]interface{}{"pull_timeout": "soon"}, `plugin config "pull_timeout" must be a positive duration such as "15s", got "soon"`},
		{map[string]interface{}{"endpoint": "nope://x"}, `plugin config "endpoint" "nope://x" must be unix:///path/to/socket or tcp://host:port`},
	}
	for _, tc := range cases {
		if err := d.SetConfig(&sdk.PluginConfig{Config: tc.config}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetConfig(%v) = %v, want an error containing %q", tc.config, err, tc.want)
		}
	}
}
