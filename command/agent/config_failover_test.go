package agent

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestHeartbeatConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		file    string
		want    [3]time.Duration // failover TTL, min TTL, grace
		wantErr string
	}{
		{name: "unset leaves the server defaults", file: `server { enabled = true }`},
		{name: "set", file: `server {
  failover_heartbeat_ttl = "45s"
  min_heartbeat_ttl      = "2s"
  heartbeat_grace        = "1s"
}`, want: [3]time.Duration{45 * time.Second, 2 * time.Second, time.Second}},
		{name: "grace not a duration", file: `server { heartbeat_grace = "later" }`,
			wantErr: `server.heartbeat_grace "later": want a positive duration`},
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
			got := [3]time.Duration{c.Server.FailoverHeartbeatTTL, c.Server.MinHeartbeatTTL, c.Server.HeartbeatGrace}
			if got != tc.want {
				t.Fatalf("heartbeat settings (failover TTL, min TTL, grace) = %v, want %v", got, tc.want)
			}
		})
	}
}
