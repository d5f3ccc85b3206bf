package jobspec

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-dev/orch/api"
)

func TestParseValidFiles(t *testing.T) {
	t.Parallel()
	p := api.PointerOf[string]
	n := api.PointerOf[int]
	b := api.PointerOf[bool]
	d := api.PointerOf[time.Duration]

	cases := []struct {
		file string
		cfg  ParseConfig
		want *api.Job
	}{
		{
			file: "raw_exec.hcl",
			want: &api.Job{
				ID:          p("example"),
				Type:        p("service"),
				Datacenters: []string{"dc1"},
				Constraints: []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
				TaskGroups: []*api.TaskGroup{{
					Name:  p("cache"),
					Count: n(2),
					Networks: []*api.NetworkResource{{
						ReservedPorts: []api.Port{{Label: "admin", Value: 8080}},
						DynamicPorts:  []api.Port{{Label: "http"}},
					}},
					RestartPolicy: &api.RestartPolicy{
						Attempts: n(3), Interval: d(5 * time.Minute), Delay: d(25 * time.Second), Mode: p("delay"),
					},
					EphemeralDisk: &api.EphemeralDisk{SizeMB: n(150)},
					Tasks: []*api.Task{{
						Name:   "loop",
						Driver: "raw_exec",
						Config: map[string]interface{}{
							"command": "/bin/sh",
							"args": []interface{}{"-c",
								`while true; do echo "alloc ${NOMAD_ALLOC_ID} on port ${NOMAD_PORT_http}"; sleep 5; done`},
						},
						Env:         map[string]string{"GREETING": "hello", "NODE": "${node.unique.name}"},
						Resources:   &api.Resources{CPU: n(200), MemoryMB: n(128)},
						LogConfig:   &api.LogConfig{MaxFiles: n(3), MaxFileSizeMB: n(5)},
						KillTimeout: d(20 * time.Second),
					}},
				}},
			},
		},
		{
			file: "full.hcl",
			want: &api.Job{
				ID: p("full"), Name: p("Full example"), Region: p("eu"), Namespace: p("platform"),
				Type: p("batch"), Priority: n(70), Datacenters: []string{"dc1", "dc2"},
				NodePool: p("gpu"), AllAtOnce: b(true),
				Meta: map[string]string{"team": "infra", "tier": "2"},
				Constraints: []*api.Constraint{
					{Operand: "distinct_hosts"},
					{LTarget: "${attr.cpu.arch}", RTarget: "arm64", Operand: "!="},
				},
				TaskGroups: []*api.TaskGroup{{
					Name:        p("work"),
					Count:       n(0),
					Meta:        map[string]string{"owner.email": "ops@example.com"},
					Constraints: []*api.Constraint{{LTarget: "${meta.rack}", RTarget: "2", Operand: "distinct_property"}},
					EphemeralDisk: &api.EphemeralDisk{
						SizeMB: n(500), Sticky: b(true), Migrate: b(false),
					},
					Networks: []*api.NetworkResource{{
						Mode:          "host",
						ReservedPorts: []api.Port{{Label: "db", Value: 5432, To: 5432, HostNetwork: "private"}},
						DynamicPorts:  []api.Port{{Label: "metrics", To: -1}},
					}},
					Tasks: []*api.Task{
						{
							Name: "main", Driver: "raw_exec", User: "nobody", Leader: true,
							KillSignal: "SIGINT", KillTimeout: d(90 * time.Second),
							Env: map[string]string{"APP.MODE": "batch", "RETRIES": "3"},
							Config: map[string]interface{}{
								"command": "/usr/bin/env",
								"args":    []interface{}{"ratio", 0.5, 42, true},
								"nested":  map[string]interface{}{"deep": []interface{}{"${NOMAD_TASK_DIR}/x"}},
								"mount": []map[string]interface{}{
									{"source": "/a"}, {"source": "/b"},
								},
								"volume": []map[string]interface{}{
									{"data": []map[string]interface{}{{"path": "/data"}}},
								},
							},
							Resources:     &api.Resources{CPU: n(500), MemoryMB: n(256), MemoryMaxMB: n(512)},
							RestartPolicy: &api.RestartPolicy{Attempts: n(0)},
							LogConfig:     &api.LogConfig{Disabled: b(true)},
							Constraints: []*api.Constraint{
								{LTarget: "${attr.os.version}", RTarget: "^v[0-9]+", Operand: "regexp"},
							},
						},
						{
							Name: "sidecar", Driver: "raw_exec",
							Config:    map[string]interface{}{"command": "sleep"},
							Resources: &api.Resources{Cores: n(2), MemoryMB: n(64)},
						},
					},
				}},
			},
		},
		{
			file: "variables.hcl",
			cfg: ParseConfig{
				ArgVars:  []string{"image_tag=1.2.3", `dcs=["eu-1", "eu-2"]`},
				VarFiles: []string{"testdata/vars.hcl"},
			},
			want: &api.Job{
				ID:          p("vars"),
				Datacenters: []string{"eu-1", "eu-2"},
				Meta:        map[string]string{"owner": "web-team"},
				TaskGroups: []*api.TaskGroup{{
					Name:  p("g"),
					Count: n(5),
					Tasks: []*api.Task{{
						Name: "t", Driver: "raw_exec",
						Config: map[string]interface{}{
							"command": "/bin/echo",
							"args":    []interface{}{"APP-1.2.3", "1.2.3:${NOMAD_ALLOC_INDEX}", "eu-1,eu-2"},
						},
					}},
				}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			cfg := tc.cfg
			cfg.Path = filepath.Join("testdata", tc.file)
			got, err := ParseWithConfig(&cfg)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			assertJob(t, got, tc.want)
		})
	}
}

func assertJob(t *testing.T, got, want *api.Job) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded job differs\n got: %s\nwant: %s", jsonOf(t, got), jsonOf(t, want))
	}
}

func jsonOf(t *testing.T, v interface{}) string {
	t.Helper()
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(out)
}

// parseErr parses src as web.hcl and returns the error text, failing the
// test when parsing succeeds.
func parseErr(t *testing.T, src string) string {
	t.Helper()
	_, err := Parse("web.hcl", []byte(src))
	if err == nil {
		t.Fatalf("parse succeeded, want an error")
	}
	return err.Error()
}

func TestParseErrorsCarryDiagnostics(t *testing.T) {
	t.Parallel()
	_, err := Parse("web.hcl", []byte(`job "web" {
  type = "x"
  priority = 0
}`))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error is %T, want *Error", err)
	}
	var diags hcl.Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("error does not unwrap to hcl.Diagnostics")
	}
	// Both problems and the missing group are reported together, in
	// source order.
	if len(diags) != 3 {
		t.Fatalf("got %d diagnostics, want 3: %v", len(diags), err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "web.hcl:1,1-10: Missing group block") ||
		!strings.HasPrefix(lines[1], "web.hcl:2,10-13: Invalid value for \"type\"") ||
		!strings.HasPrefix(lines[2], "web.hcl:3,14-15: Invalid value for \"priority\"") {
		t.Fatalf("unexpected error lines:\n%s", err)
	}
}
