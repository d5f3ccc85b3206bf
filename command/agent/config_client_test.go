package agent

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestLoadConfig_HostVolumesAndPorts(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.hcl": `client {
  min_dynamic_port = 30000
  max_dynamic_port = 30002
  reserved { reserved_ports = "22,80,8000-8100" }
  host_volume "data" {
    path = "/srv/data"
  }
  host_volume "certs" {
    path      = "/etc/ssl/certs"
    read_only = true
  }
}
`,
		// A later file's block replaces the earlier one of the same name;
		// Nomad's configs often quote booleans.
		"b.hcl": "client {\n  host_volume \"data\" {\n    path      = \"/mnt/data\"\n    read_only = \"true\"\n  }\n}\n",
	})
	c, err := LoadConfig([]string{"-dev", "-config", dir}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*HostVolume{"data": {Path: "/mnt/data", ReadOnly: true}, "certs": {Path: "/etc/ssl/certs", ReadOnly: true}}
	if !reflect.DeepEqual(c.Client.HostVolumes, want) {
		t.Errorf("host volumes = %+v, want %+v", c.Client.HostVolumes, want)
	}
	if c.Client.MinDynamicPort != 30000 || c.Client.MaxDynamicPort != 30002 || c.Client.Reserved.ReservedPorts != "22,80,8000-8100" {
		t.Errorf("ports: %+v", c.Client)
	}
}

func TestLoadConfig_ClientErrors(t *testing.T) {
	cases := []struct {
		name, file, want string
	}{
		{"host volume without path", "client {\n  host_volume \"data\" {\n    read_only = true\n  }\n}\n",
			`a.hcl:2,22-22: Missing required argument; The argument "path" is required`},
		{"host volume without name", "client {\n  host_volume {\n    path = \"/srv\"\n  }\n}\n",
			`a.hcl:2,15-16: Missing name for host_volume`},
		{"relative host volume path", "client {\n  host_volume \"data\" { path = \"srv/data\" }\n}\n",
			`client.host_volume "data": path "srv/data" must be absolute`},
		{"empty host volume name", "client {\n  host_volume \"\" { path = \"/srv\" }\n}\n",
			`client.host_volume with an empty name`},
		{"reserved ports typo", "client {\n  reserved { reserved_ports = \"22,8o\" }\n}\n",
			`client.reserved.reserved_ports "22,8o" is invalid: "8o": "8o" is not a port number`},
		{"reserved port out of range", "client {\n  reserved { reserved_ports = \"22,70000\" }\n}\n",
			`client.reserved.reserved_ports "22,70000" is invalid: "70000": port 70000 is out of range: want 1 to 65535`},
		{"min above max", "client {\n  min_dynamic_port = 30000\n  max_dynamic_port = 20000\n}\n",
			`client.min_dynamic_port 30000 is above client.max_dynamic_port 20000: the dynamic port range would be empty`},
		{"max beyond 65535", "client {\n  max_dynamic_port = 70000\n}\n",
			`client.max_dynamic_port 70000 is invalid: must be a port from 1 to 65535`},
		{"min zero", "client {\n  min_dynamic_port = 0\n}\n",
			`client.min_dynamic_port 0 is invalid: must be a port from 1 to 65535`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"a.hcl": tc.file})
			_, err := LoadConfig([]string{"-dev", "-config", dir + "/a.hcl"}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
