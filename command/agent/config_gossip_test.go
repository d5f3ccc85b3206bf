package agent

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testGossipKey = "Do2iGvMxtKiNlVkwA36Nw6OtQWUl/oUGFCmmNv2Zuj8="

func TestLoadConfig_Gossip(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "defaults: clean-up on, no leave, no key",
			args: []string{"-server", "-data-dir", "/d"},
			check: func(t *testing.T, c *Config) {
				if !c.Autopilot.CleanupDeadServers || c.Autopilot.DeadServerCleanupThreshold != 0 {
					t.Errorf("autopilot %+v, want clean-up on with the server's default threshold", c.Autopilot)
				}
				if c.LeaveOnInterrupt || c.LeaveOnTerm || c.Server.Encrypt != "" || c.Server.RetryMax != 0 {
					t.Errorf("gossip defaults changed: %+v", c)
				}
			},
		},
		{
			name: "server block, server_join and top-level settings",
			files: map[string]string{"a.hcl": `
leave_on_interrupt = true
leave_on_terminate = true
server {
  enabled = true
  encrypt = "` + testGossipKey + `"
  retry_join = ["10.0.0.1"]
  retry_interval = "5s"
  server_join {
    retry_join = ["10.0.0.2:4648"]
    retry_max = 3
  }
}
autopilot {
  cleanup_dead_servers = false
  dead_server_cleanup_threshold = "2m"
}
`},
			args: []string{"-data-dir", "/d", "-config", "$DIR/a.hcl"},
			check: func(t *testing.T, c *Config) {
				if !reflect.DeepEqual(c.Server.RetryJoin, []string{"10.0.0.1", "10.0.0.2:4648"}) {
					t.Errorf("retry_join %v", c.Server.RetryJoin)
				}
				if c.Server.RetryInterval != 5*time.Second || c.Server.RetryMax != 3 || c.Server.Encrypt != testGossipKey {
					t.Errorf("server %+v", c.Server)
				}
				if !c.LeaveOnInterrupt || !c.LeaveOnTerm {
					t.Errorf("leave_on_interrupt %v, leave_on_terminate %v", c.LeaveOnInterrupt, c.LeaveOnTerm)
				}
				if c.Autopilot.CleanupDeadServers || c.Autopilot.DeadServerCleanupThreshold != 2*time.Minute {
					t.Errorf("autopilot %+v", c.Autopilot)
				}
			},
		},
		{
			name:  "flags win over files",
			files: map[string]string{"a.hcl": "server {\n  retry_max = 3\n  retry_interval = \"5s\"\n}\n"},
			args: []string{"-server", "-data-dir", "/d", "-config", "$DIR/a.hcl", "-encrypt", testGossipKey,
				"-retry-join", "10.0.0.9", "-retry-interval", "1s", "-retry-max", "7"},
			check: func(t *testing.T, c *Config) {
				if c.Server.RetryInterval != time.Second || c.Server.RetryMax != 7 || c.Server.Encrypt != testGossipKey ||
					!reflect.DeepEqual(c.Server.RetryJoin, []string{"10.0.0.9"}) {
					t.Errorf("server %+v", c.Server)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			c, err := LoadConfig(args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestLoadConfig_GossipErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		want  string
	}{
		{name: "key not base64", args: []string{"-server", "-data-dir", "/d", "-encrypt", "not-base64!"},
			want: "server.encrypt is invalid: key is not valid base64"},
		{name: "key of the wrong length", args: []string{"-server", "-data-dir", "/d", "-encrypt", "c2hvcnQ="},
			want: "key is 5 bytes long: want 16, 24 or 32 bytes"},
		{name: "negative retry_max", args: []string{"-server", "-data-dir", "/d", "-retry-max", "-1"},
			want: "server.retry_max -1 is invalid"},
		{name: "bad retry_interval", files: map[string]string{"a.hcl": "server {\n  retry_interval = \"soon\"\n}\n"},
			args: []string{"-server", "-data-dir", "/d", "-config", "$DIR/a.hcl"}, want: `server.retry_interval "soon": want a positive duration`},
		{name: "bad threshold", files: map[string]string{"a.hcl": "autopilot {\n  dead_server_cleanup_threshold = \"-1s\"\n}\n"},
			args: []string{"-server", "-data-dir", "/d", "-config", "$DIR/a.hcl"}, want: `autopilot.dead_server_cleanup_threshold "-1s"`},
		{name: "unknown autopilot setting", files: map[string]string{"a.hcl": "autopilot {\n  max_trailing_logs = 250\n}\n"},
			args: []string{"-server", "-data-dir", "/d", "-config", "$DIR/a.hcl"}, want: "a.hcl:2,3-20: Unsupported argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tc.files)
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			_, err := LoadConfig(args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
