package agent

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		// args may name files with "$DIR/".
		args  []string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "dev defaults",
			args: []string{"-dev"},
			check: func(t *testing.T, c *Config) {
				if !c.DevMode || !c.Server.Enabled || !c.Client.Enabled || c.BindAddr != "127.0.0.1" ||
					c.Server.BootstrapExpect != 1 || c.Plugins["raw_exec"].Config["enabled"] != true {
					t.Fatalf("dev config %+v", c)
				}
				if c.HTTPAddr() != "127.0.0.1:4646" || c.RPCAddr() != "127.0.0.1:4647" || c.SerfAddr() != "127.0.0.1:4648" {
					t.Fatalf("addresses %s %s %s", c.HTTPAddr(), c.RPCAddr(), c.SerfAddr())
				}
			},
		},
		{
			name: "server defaults",
			args: []string{"-server", "-data-dir", "/var/orch"},
			check: func(t *testing.T, c *Config) {
				if c.BindAddr != "0.0.0.0" || c.Ports != (Ports{4646, 4647, 4648}) || c.Region != "global" ||
					c.Datacenter != "dc1" || c.Client.Enabled || c.DataDir != "/var/orch" {
					t.Fatalf("config %+v", c)
				}
			},
		},
		{
			name: "every block",
			files: map[string]string{"agent.hcl": `
region     = "eu"
datacenter = "fra1"
name       = "n1"
data_dir   = "/data"
bind_addr  = "10.0.0.1"
log_level  = "warn"
ports { 
  http = 5646
  rpc  = 5647
  serf = 5648
}
addresses { http = "127.0.0.1" }
advertise { rpc = "10.0.0.9" }
server {
  enabled          = true
  bootstrap_expect = 3
  num_schedulers   = 2
  server_join { retry_join = ["10.0.0.2", "10.0.0.3"] }
}
client {
  enabled           = true
  servers           = ["10.0.0.1:4647"]
  node_class        = "big"
  node_pool         = "batch"
  meta              = { rack = "r1" }
  network_interface = "eth0"
  min_dynamic_port  = 21000
  max_dynamic_port  = 22000
  reserved {
    cpu            = 500
    memory         = 512
    disk           = 1024
    reserved_ports = "22,80"
  }
}
plugin "raw_exec" {
  config {
    enabled = true
    no_cgroups = false
    limits = [1, 2.5]
  }
}
telemetry {
  prometheus_metrics = true
  disable_hostname   = true
}
`},
			args: []string{"-config", "$DIR/agent.hcl"},
			check: func(t *testing.T, c *Config) {
				want := &Config{
					Region: "eu", Datacenter: "fra1", NodeName: "n1", DataDir: "/data", BindAddr: "10.0.0.1", LogLevel: "warn",
					Ports:     Ports{5646, 5647, 5648},
					Addresses: Addresses{HTTP: "127.0.0.1"},
					Advertise: Addresses{RPC: "10.0.0.9"},
					Server:    ServerConfig{Enabled: true, BootstrapExpect: 3, NumSchedulers: 2, RetryJoin: []string{"10.0.0.2", "10.0.0.3"}},
					Autopilot: AutopilotConfig{CleanupDeadServers: true},
					Client: ClientConfig{Enabled: true, Servers: []string{"10.0.0.1:4647"}, NodeClass: "big", NodePool: "batch",
						Meta: map[string]string{"rack": "r1"}, NetworkInterface: "eth0", MinDynamicPort: 21000, MaxDynamicPort: 22000,
						Reserved:     Reserved{CPU: 500, MemoryMB: 512, DiskMB: 1024, ReservedPorts: "22,80"},
						LoadBalancer: LoadBalancerConfig{Enabled: true}},
					DNS: defaultDNS(),
					Plugins: map[string]*PluginConfig{"raw_exec": {Name: "raw_exec", Config: map[string]interface{}{
						"enabled": true, "no_cgroups": false, "limits": []interface{}{int64(1), 2.5}}}},
					Telemetry: Telemetry{PrometheusMetrics: true, DisableHostname: true},
					Files:     c.Files,
				}
				if !reflect.DeepEqual(c, want) {
					t.Fatalf("got  %+v\nwant %+v", c, want)
				}
				if c.HTTPAddr() != "127.0.0.1:5646" || c.RPCAddr() != "10.0.0.1:5647" {
					t.Fatalf("addresses %s %s", c.HTTPAddr(), c.RPCAddr())
				}
			},
		},
		{
			name: "directory merges in lexical order, lists append",
			files: map[string]string{
				"b.hcl":    `datacenter = "second"` + "\n" + `client { meta = { b = "2" } }` + "\n" + `server { retry_join = ["b"] }`,
				"a.hcl":    `datacenter = "first"` + "\n" + `region = "eu"` + "\n" + `client { meta = { a = "1" } }` + "\n" + `server { retry_join = ["a"] }`,
				"c.json":   `{"log_level": "debug", "ports": {"http": 7000}}`,
				"skip.txt": `not a config`,
			},
			args: []string{"-server", "-data-dir", "/d", "-config", "$DIR"},
			check: func(t *testing.T, c *Config) {
				if c.Datacenter != "second" || c.Region != "eu" || c.LogLevel != "debug" || c.Ports.HTTP != 7000 {
					t.Fatalf("merged %+v", c)
				}
				if !reflect.DeepEqual(c.Client.Meta, map[string]string{"a": "1", "b": "2"}) ||
					!reflect.DeepEqual(c.Server.RetryJoin, []string{"a", "b"}) {
					t.Fatalf("meta %v retry_join %v", c.Client.Meta, c.Server.RetryJoin)
				}
				if len(c.Files) != 3 || filepath.Base(c.Files[0]) != "a.hcl" || filepath.Base(c.Files[2]) != "c.json" {
					t.Fatalf("files %v", c.Files)
				}
			},
		},
		{
			name:  "flags win over files",
			files: map[string]string{"a.hcl": "datacenter = \"file\"\nports { http = 1 }\nserver { enabled = true }\nclient { enabled = true }"},
			args: []string{"-config", "$DIR/a.hcl", "-dc", "flag", "-http-port", "9999", "-client=false",
				"-data-dir", "/d", "-retry-join", "x", "-retry-join", "y", "-bootstrap-expect", "3", "-node", "n9",
				"-bind", "10.1.1.1", "-region", "us", "-log-level", "trace", "-rpc-port", "9998", "-serf-port", "9997"},
			check: func(t *testing.T, c *Config) {
				if c.Datacenter != "flag" || c.Ports != (Ports{9999, 9998, 9997}) || c.Client.Enabled || !c.Server.Enabled ||
					c.Server.BootstrapExpect != 3 || c.NodeName != "n9" || c.BindAddr != "10.1.1.1" || c.Region != "us" ||
					c.LogLevel != "trace" || !reflect.DeepEqual(c.Server.RetryJoin, []string{"x", "y"}) {
					t.Fatalf("config %+v", c)
				}
			},
		},
		{
			name:  "client meta as a block, as Nomad documents it",
			files: map[string]string{"a.hcl": "client {\n  meta {\n    team = \"web\"\n    rack-id = \"r7\"\n  }\n}\n"},
			args:  []string{"-dev", "-config", "$DIR/a.hcl"},
			check: func(t *testing.T, c *Config) {
				if !reflect.DeepEqual(c.Client.Meta, map[string]string{"team": "web", "rack-id": "r7"}) {
					t.Fatalf("meta %v", c.Client.Meta)
				}
			},
		},
		{
			name:  "client meta in JSON",
			files: map[string]string{"a.json": `{"client": {"meta": {"team": "web"}}}`},
			args:  []string{"-dev", "-config", "$DIR/a.json"},
			check: func(t *testing.T, c *Config) {
				if !reflect.DeepEqual(c.Client.Meta, map[string]string{"team": "web"}) {
					t.Fatalf("meta %v", c.Client.Meta)
				}
			},
		},
		{
			name: "client with servers",
			args: []string{"-client", "-data-dir", "/d", "-servers", "10.0.0.1:4647, 10.0.0.2:4647"},
			check: func(t *testing.T, c *Config) {
				if !reflect.DeepEqual(c.Client.Servers, []string{"10.0.0.1:4647", "10.0.0.2:4647"}) {
					t.Fatalf("servers %v", c.Client.Servers)
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

func TestLoadConfig_Errors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		args  []string
		want  string
	}{
		{name: "unknown attribute names file and line", files: map[string]string{"a.hcl": "region = \"eu\"\nbogus = 1\n"},
			args: []string{"-dev", "-config", "$DIR/a.hcl"}, want: "a.hcl:2,1-6: Unsupported argument"},
		{name: "wrong type", files: map[string]string{"a.hcl": "ports {\n  http = \"x\"\n}\n"},
			args: []string{"-dev", "-config", "$DIR/a.hcl"}, want: "a.hcl:2,11-12: Unsuitable value type"},
		{name: "meta twice", files: map[string]string{"a.hcl": "client {\n  meta = { a = \"1\" }\n  meta { b = \"2\" }\n}\n"},
			args: []string{"-dev", "-config", "$DIR/a.hcl"}, want: "a.hcl:3,3-7: Duplicate meta; client.meta is already set at"},
		{name: "meta value not a string", files: map[string]string{"a.hcl": "client {\n  meta {\n    a = [1]\n  }\n}\n"},
			args: []string{"-dev", "-config", "$DIR/a.hcl"}, want: "a.hcl:3,9-10: Unsuitable value type"},
		{name: "unknown client argument", files: map[string]string{"a.hcl": "client {\n  metaa = {}\n}\n"},
			args: []string{"-dev", "-config", "$DIR/a.hcl"}, want: "a.hcl:2,3-8: Unsupported argument"},
		{name: "syntax", files: map[string]string{"a.hcl": "server {\n"},
			args: []string{"-dev", "-config", "$DIR/a.hcl"}, want: "a.hcl:1,8-9: Unclosed configuration block"},
		{name: "missing file", args: []string{"-dev", "-config", "$DIR/none.hcl"}, want: "none.hcl: no such file"},
		{name: "nothing enabled", args: []string{"-data-dir", "/d"}, want: "must run a server, a client or both"},
		{name: "no data dir", args: []string{"-server"}, want: "data_dir is required outside -dev mode"},
		{name: "bad log level", args: []string{"-dev", "-log-level", "loud"}, want: `log_level "loud" is invalid`},
		{name: "bad port", args: []string{"-dev", "-http-port", "70000"}, want: "ports.http 70000 is invalid"},
		{name: "client without servers", args: []string{"-client", "-data-dir", "/d"}, want: "client.servers is required"},
		{name: "unknown flag", args: []string{"-devv"}, want: "flag provided but not defined: -devv"},
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
