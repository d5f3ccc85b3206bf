package agent

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestRaftSnapshotConfig(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		want    ServerConfig
		wantErr string
	}{
		{name: "unset leaves the server defaults", file: `server { enabled = true }`,
			want: ServerConfig{}},
		{name: "all three", file: `server {
  enabled                 = true
  raft_snapshot_threshold = 100
  raft_snapshot_interval  = "30s"
  raft_trailing_logs      = 50
}`, want: ServerConfig{RaftSnapshotThreshold: 100, RaftSnapshotInterval: 30 * time.Second, RaftTrailingLogs: 50}},
		{name: "interval not a duration", file: `server { raft_snapshot_interval = "often" }`,
			wantErr: `server.raft_snapshot_interval "often": want a duration of at least 5ms`},
		{name: "interval too short for raft", file: `server { raft_snapshot_interval = "1ms" }`,
			wantErr: "at least 5ms"},
		{name: "negative threshold", file: `server { raft_snapshot_threshold = -1 }`,
			wantErr: "server.raft_snapshot_threshold -1 is invalid"},
		{name: "negative trailing logs", file: `server { raft_trailing_logs = -5 }`,
			wantErr: "server.raft_trailing_logs -5 is invalid"},
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
			got := c.Server
			if got.RaftSnapshotThreshold != tc.want.RaftSnapshotThreshold || got.RaftSnapshotInterval != tc.want.RaftSnapshotInterval ||
				got.RaftTrailingLogs != tc.want.RaftTrailingLogs {
				t.Fatalf("server config %+v, want raft settings of %+v", got, tc.want)
			}
		})
	}
}

func TestEventBrokerConfig(t *testing.T) {
	cases := []struct {
		name         string
		file         string
		wantDisabled bool
		wantSize     int
		wantErr      string
	}{
		{name: "defaults", file: `server { enabled = true }`},
		{name: "size", file: `server { event_buffer_size = 500 }`, wantSize: 500},
		{name: "disabled", file: `server { enable_event_broker = false }`, wantDisabled: true},
		{name: "negative size", file: `server { event_buffer_size = -1 }`, wantErr: "server.event_buffer_size -1 is invalid"},
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
			if c.Server.DisableEventBroker != tc.wantDisabled || c.Server.EventBufferSize != tc.wantSize {
				t.Fatalf("server config %+v, want disabled %v size %d", c.Server, tc.wantDisabled, tc.wantSize)
			}
		})
	}
}
