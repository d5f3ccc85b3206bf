package agent

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestFailoverHeartbeatTTLConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		file    string
		want    time.Duration
		wantErr string
	}{
		{name: "unset leaves the server default", file: `server { enabled = true }`},
		{name: "set", file: `server { failover_heartbeat_ttl = "45s" }`, want: 45 * time.Second},
		{name: "not a duration", file: `server { failover_heartbeat_ttl = "soon" }`,
			wantErr: `server.failover_heartbeat_ttl "soon": want a positive duration`},
		{name: "zero", file: `server { failover_heartbeat_ttl = "0s" }`,
			wantErr: `server.failover_heartbeat_ttl "0s": want a positive duration`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"server.hcl": tc.file})
			c, err := LoadConfig([]string{"-server", "-data-dir", dir, "-config", dir + "/server.hcl"}, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("load: %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Server.FailoverHeartbeatTTL != tc.want {
				t.Fatalf("failover heartbeat TTL %v, want %v", c.Server.FailoverHeartbeatTTL, tc.want)
			}
		})
	}
}
