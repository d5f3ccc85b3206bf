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
	cases := []struct {
		file string
		cfg  ParseConfig
		want *api.Job
	}{
		{
			file: "raw_exec.hcl",
			want: wantRawExec(),
		},
		{
			file: "full.hcl",
			want: wantFull(),
		},
		{
			file: "variables.hcl",
			cfg: ParseConfig{
				ArgVars:  []string{"image_tag=1.2.3", `dcs=["eu-1", "eu-2"]`},
				VarFiles: []string{"testdata/vars.hcl"},
			},
			want: wantVariables(),
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

// Short pointer builders for the expected jobs below.
var (
	str     = api.PointerOf[string]
	num     = api.PointerOf[int]
	boolean = api.PointerOf[bool]
	dur     = api.PointerOf[time.Duration]
)

func wantRawExec() *api.Job {
	return &api.Job{
		ID:          str("example"),
		Type:        str("service"),
		Datacenters: []string{"dc1"},
		Constraints: []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		TaskGroups: []*api.TaskGroup{{
			Name:  str("cache"),
			Count: num(2),
			Networks: []*api.NetworkResource{{
				ReservedPorts: []api.Port{{Label: "admin", Value: 8080}},
				DynamicPorts:  []api.Port{{Label: "http"}},
			}},
			RestartPolicy: &api.RestartPolicy{
				Attempts: num(3), Interval: dur(5 * time.Minute), Delay: dur(25 * time.Second), Mode: str("delay"),
			},
			EphemeralDisk: &api.EphemeralDisk{SizeMB: num(150)},
			Tasks: []*api.Task{{
				Name:   "loop",
				Driver: "raw_exec",
				Config: map[string]interface{}{
					"command": "/bin/sh",
					"args": []interface{}{"-c",
						`while true; do echo "alloc ${NOMAD_ALLOC_ID} on port ${NOMAD_PORT_http}"; sleep 5; done`},
				},
				Env:         map[string]string{"GREETING": "hello", "NODE": "${node.unique.name}"},
				Resources:   &api.Resources{CPU: num(200), MemoryMB: num(128)},
				LogConfig:   &api.LogConfig{MaxFiles: num(3), MaxFileSizeMB: num(5)},
				KillTimeout: dur(20 * time.Second),
			}},
		}},
	}
}

func wantFull() *api.Job {
	return &api.Job{
		ID: str("full"), Name: str("Full example"), Region: str("eu"), Namespace: str("platform"),
		Type: str("batch"), Priority: num(70), Datacenters: []string{"dc1", "dc2"},
		NodePool: str("gpu"), AllAtOnce: boolean(true),
		Meta: map[string]string{"team": "infra", "tier": "2"},
		Constraints: []*api.Constraint{
			{Operand: "distinct_hosts"},
			{LTarget: "${attr.cpu.arch}", RTarget: "arm64", Operand: "!="},
		},
		TaskGroups: []*api.TaskGroup{{
			Name:        str("work"),
			Count:       num(0),
			Meta:        map[string]string{"owner.email": "ops@example.com"},
			Constraints: []*api.Constraint{{LTarget: "${meta.rack}", RTarget: "2", Operand: "distinct_property"}},
			EphemeralDisk: &api.EphemeralDisk{
				SizeMB: num(500), Sticky: boolean(true), Migrate: boolean(false),
			},
			Networks: []*api.NetworkResource{{
				Mode:          "host",
				ReservedPorts: []api.Port{{Label: "db", Value: 5432, To: 5432, HostNetwork: "private"}},
				DynamicPorts:  []api.Port{{Label: "metrics", To: -1}},
			}},
			Tasks: []*api.Task{
				{
					Name: "main", Driver: "raw_exec", User: "nobody", Leader: true,
					KillSignal: "SIGINT", KillTimeout: dur(90 * time.Second),
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
					Resources:     &api.Resources{CPU: num(500), MemoryMB: num(256), MemoryMaxMB: num(512)},
					RestartPolicy: &api.RestartPolicy{Attempts: num(0)},
					LogConfig:     &api.LogConfig{Disabled: boolean(true)},
					Constraints: []*api.Constraint{
						{LTarget: "${attr.os.version}", RTarget: "^v[0-9]+", Operand: "regexp"},
					},
				},
				{
					Name: "sidecar", Driver: "raw_exec",
					Config:    map[string]interface{}{"command": "sleep"},
					Resources: &api.Resources{Cores: num(2), MemoryMB: num(64)},
					Lifecycle: &api.TaskLifecycle{Hook: "prestart", Sidecar: true},
					Artifacts: []*api.TaskArtifact{
						{
							GetterSource:  str("https://example.com/tool.tar.gz"),
							RelativeDest:  str("local/tool"),
							GetterOptions: map[string]string{"checksum": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
							GetterHeaders: map[string]string{"X-Token": "secret"},
						},
						{GetterSource: str("https://example.com/${NOMAD_JOB_NAME}/config.json"), GetterMode: str("file")},
					},
				},
			},
		}},
	}
}

func wantVariables() *api.Job {
	return &api.Job{
		ID:          str("vars"),
		Datacenters: []string{"eu-1", "eu-2"},
		Meta:        map[string]string{"owner": "web-team"},
		TaskGroups: []*api.TaskGroup{{
			Name:  str("g"),
			Count: num(5),
			Tasks: []*api.Task{{
				Name: "t", Driver: "raw_exec",
				Config: map[string]interface{}{
					"command": "/bin/echo",
					"args":    []interface{}{"APP-1.2.3", "1.2.3:${NOMAD_ALLOC_INDEX}", "eu-1,eu-2"},
				},
			}},
		}},
	}
}
