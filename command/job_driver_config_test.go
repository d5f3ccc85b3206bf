package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

// driverConfigJob is a job whose raw_exec config is given by body.
func driverConfigJob(driver, body string) string {
	return "job \"web\" {\n  group \"web\" {\n    task \"server\" {\n      driver = \"" + driver + "\"\n      config {\n" +
		body + "      }\n    }\n  }\n}\n"
}

// dockerPortsJob is a docker job whose group network defines the ports
// http and db, and whose task publishes ports (an HCL list).
func dockerPortsJob(ports string) string {
	return "job \"web\" {\n  group \"web\" {\n    network {\n      port \"http\" { to = 8080 }\n      port \"db\" { static = 5432 }\n    }\n" +
		"    task \"server\" {\n      driver = \"docker\"\n      config {\n        image = \"redis:7\"\n        ports = " + ports + "\n      }\n    }\n  }\n}\n"
}

func TestJobValidateAndRun_DriverConfig(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		json    bool
		wantErr string // "" means the job is accepted
	}{
		{name: "valid raw_exec config",
			body: driverConfigJob("raw_exec", "        command = \"/bin/sleep\"\n        args = [\"1\"]\n")},
		{name: "misspelt key at its line",
			body:    driverConfigJob("raw_exec", "        command = \"/bin/sleep\"\n        arsg = [\"1\"]\n"),
			wantErr: `web.hcl:7,9-13: Unsupported argument; An argument named "arsg" is not expected here: the raw_exec driver's config accepts args, command. Did you mean "args"?`},
		{name: "value of the wrong type, from the driver's own check",
			body:    driverConfigJob("raw_exec", "        command = 42\n"),
			wantErr: `group "web", task "server": invalid raw_exec config: raw_exec: config "command" must be a string`},
		{name: "docker port label of the group's network block",
			body: dockerPortsJob(`["http"]`)},
		{name: "docker port label missing from the network block",
			body:    dockerPortsJob(`["http", "metrics"]`),
			wantErr: `group "web", task "server": invalid docker config: docker: config "ports"[1]: "metrics" is not a port label of the group's network block; labels defined: db, http`},
		{name: "docker port label of the task's own resources network",
			json: true,
			body: `{"Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Tasks": [{"Name": "server", "Driver": "docker", "Config": {"image": "redis:7", "ports": ["admin"]},
				"Resources": {"Networks": [{"DynamicPorts": [{"Label": "admin"}]}]}}]}]}}`},
		{name: "docker ports without any network block",
			json:    true,
			body:    `{"Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Tasks": [{"Name": "server", "Driver": "docker", "Config": {"image": "redis:7", "ports": ["http"]}}]}]}}`,
			wantErr: `task "server": invalid docker config: docker: config "ports"[0]: "http" is not a port label of the group's network block; labels defined: none`},
		{name: "third-party driver is not checked",
			body: driverConfigJob("my_plugin", "        anything = true\n")},
		{name: "JSON job gets the driver's check",
			json:    true,
			body:    `{"Job": {"ID": "web", "TaskGroups": [{"Name": "web", "Tasks": [{"Name": "server", "Driver": "raw_exec", "Config": {"comand": "x"}}]}]}}`,
			wantErr: `raw_exec: unknown config key "comand"; valid keys: args, command`},
	}
	for _, tc := range cases {
		for _, verb := range []string{"validate", "run"} {
			t.Run(verb+"/"+tc.name, func(t *testing.T) {
				addr := fakeAPI(t, map[string]interface{}{
					"PUT /v1/validate/job": &api.JobValidateResponse{},
					"PUT /v1/jobs":         &api.JobRegisterResponse{},
				})
				path := filepath.Join(t.TempDir(), "web.hcl")
				if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
					t.Fatal(err)
				}
				args := []string{"-address", addr}
				if tc.json {
					args = append(args, "-json")
				}
				args = append(args, path)
				ui := newUi()
				var code int
				if verb == "validate" {
					code = (&JobValidateCommand{Meta: Meta{Ui: ui}}).Run(args)
				} else {
					code = (&JobRunCommand{Meta: Meta{Ui: ui}}).Run(args)
				}
				stderr := ui.ErrorWriter.String()
				if tc.wantErr == "" {
					if code != exitOK {
						t.Fatalf("exit %d, want 0: %s", code, stderr)
					}
					return
				}
				if code != exitError || !strings.Contains(stderr, tc.wantErr) {
					t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 with %q", code, stderr, tc.wantErr)
				}
			})
		}
	}
}
