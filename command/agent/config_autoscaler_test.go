package agent

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestAutoscalerConfig(t *testing.T) {
	cases := []struct {
		name       string
		file       string
		wantServer AutoscalerConfig
		wantSample time.Duration
		wantErr    string
	}{
		{name: "unset: enabled, no prometheus, default sampling", file: `server { enabled = true }`},
		{name: "all set", file: `server {
  autoscaler {
    enabled            = false
    prometheus_address = "http://127.0.0.1:9090/"
  }
}
client { autoscaling_sample_interval = "2s" }`,
			wantServer: AutoscalerConfig{Disabled: true, PrometheusAddress: "http://127.0.0.1:9090"}, wantSample: 2 * time.Second},
		{name: "address not a URL", file: `server {
  autoscaler { prometheus_address = "127.0.0.1:9090" }
}`, wantErr: `server.autoscaler.prometheus_address "127.0.0.1:9090": want an http(s) URL`},
		{name: "bad interval", file: `client { autoscaling_sample_interval = "often" }`,
			wantErr: `client.autoscaling_sample_interval "often": want a positive duration`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"agent.hcl": tc.file})
			c, err := LoadConfig([]string{"-server", "-data-dir", dir, "-config", dir + "/agent.hcl"}, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("load: %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Server.Autoscaler != tc.wantServer || c.Client.AutoscalingSampleInterval != tc.wantSample {
				t.Fatalf("autoscaler %+v, sample interval %s; want %+v, %s", c.Server.Autoscaler,
					c.Client.AutoscalingSampleInterval, tc.wantServer, tc.wantSample)
			}
		})
	}
}
