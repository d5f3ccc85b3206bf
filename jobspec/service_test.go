package jobspec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

const servicesJob = `job "shop" {
  group "web" {
    network {
      port "http" {}
      port "admin" { static = 9000 }
    }
    service {
      name     = "web"
      port     = "http"
      tags     = ["v1", "public"]
      meta     = { team = "store" }
      provider = "nomad"
      task     = "app"
      check {
        type            = "http"
        path            = "/health"
        method          = "HEAD"
        interval        = "5s"
        timeout         = "2s"
        expected_status = [200, 204]
        header {
          X-Probe = ["orch"]
        }
        check_restart {
          limit           = 3
          grace           = "30s"
          ignore_warnings = true
        }
      }
      check {
        type     = "script"
        command  = "/bin/check"
        args     = ["-q"]
        interval = "10s"
        timeout  = "3s"
      }
    }
    task "app" {
      driver = "raw_exec"
      service {
        port = "admin"
        check {
          type           = "grpc"
          grpc_service   = "shop.Admin"
          grpc_use_tls   = true
          interval       = "1s"
          timeout        = "1s"
          initial_status = "passing"
          on_update      = "ignore"
        }
        check {
          type     = "tcp"
          port     = 8080
          interval = "1s"
          timeout  = "1s"
        }
      }
    }
  }
}`

func TestParseServicesAndChecks(t *testing.T) {
	t.Parallel()
	job, err := Parse("shop.hcl", []byte(servicesJob))
	if err != nil {
		t.Fatal(err)
	}
	grace := 30 * time.Second
	wantGroup := []*api.Service{{
		Name: "web", PortLabel: "http", Tags: []string{"v1", "public"}, Meta: map[string]string{"team": "store"},
		Provider: "nomad", TaskName: "app",
		Checks: []api.ServiceCheck{{
			Type: "http", Path: "/health", Method: "HEAD", Interval: 5 * time.Second, Timeout: 2 * time.Second,
			ExpectedStatus: []int{200, 204}, Header: map[string][]string{"X-Probe": {"orch"}},
			CheckRestart: &api.CheckRestart{Limit: 3, Grace: &grace, IgnoreWarnings: true},
		}, {
			Type: "script", Command: "/bin/check", Args: []string{"-q"}, Interval: 10 * time.Second, Timeout: 3 * time.Second,
		}},
	}}
	if got := job.TaskGroups[0].Services; !reflect.DeepEqual(got, wantGroup) {
		t.Errorf("group services:\n got %+v\nwant %+v", got[0], wantGroup[0])
	}
	wantTask := []*api.Service{{
		PortLabel: "admin",
		Checks: []api.ServiceCheck{{
			Type: "grpc", GRPCService: "shop.Admin", GRPCUseTLS: true, Interval: time.Second, Timeout: time.Second,
			InitialStatus: "passing", OnUpdate: "ignore",
		}, {Type: "tcp", PortLabel: "8080", Interval: time.Second, Timeout: time.Second}},
	}}
	if got := job.TaskGroups[0].Tasks[0].Services; !reflect.DeepEqual(got, wantTask) {
		t.Errorf("task services:\n got %+v\nwant %+v", got[0], wantTask[0])
	}
}

// Canonicalize gives Nomad's defaults: the default name, address mode,
// provider, and check fields inherited from the service.
func TestServiceCanonicalizeDefaults(t *testing.T) {
	t.Parallel()
	job, err := Parse("shop.hcl", []byte(servicesJob))
	if err != nil {
		t.Fatal(err)
	}
	job.Canonicalize()
	tg := job.TaskGroups[0]
	gs, ts := tg.Services[0], tg.Tasks[0].Services[0]
	cases := []struct{ name, got, want string }{
		{"group service provider kept", gs.Provider, "nomad"},
		{"task service default name", ts.Name, "shop-web-app"},
		{"task service task", ts.TaskName, "app"},
		{"default provider", ts.Provider, "orch"},
		{"default address mode", ts.AddressMode, "auto"},
		{"check inherits port", ts.Checks[0].PortLabel, "admin"},
		{"check keeps own port", ts.Checks[1].PortLabel, "8080"},
		{"script check inherits task", gs.Checks[1].TaskName, "app"},
		{"default initial status", gs.Checks[0].InitialStatus, "critical"},
		{"default on_update", gs.Checks[1].OnUpdate, "require_healthy"},
		{"http protocol", gs.Checks[0].Protocol, "http"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestParseServiceErrors(t *testing.T) {
	t.Parallel()
	group := func(body string) string {
		return "job \"shop\" {\n  group \"web\" {\n    network {\n      port \"http\" {}\n    }\n" + body + "\n    task \"app\" { driver = \"raw_exec\" }\n  }\n}"
	}
	cases := []struct{ name, src, want string }{
		{"unknown port label", group(`    service {
      port = "https"
    }`), `web.hcl:7,14-21: Invalid value for "port"; port "https" is not a port label of the group's network block; want one of "http"`},
		{"unknown check type", group(`    service {
      port = "http"
      check {
        type     = "ttl"
        interval = "1s"
        timeout  = "1s"
      }
    }`), `web.hcl:9,20-25: Invalid value for "type"; type must be one of http, tcp, script, grpc, got "ttl"`},
		{"missing interval", group(`    service {
      port = "http"
      check {
        type    = "tcp"
        timeout = "1s"
      }
    }`), `web.hcl:8,7-12: Missing interval; a check needs an interval`},
		{"missing timeout", group(`    service {
      port = "http"
      check {
        type     = "tcp"
        interval = "1s"
      }
    }`), `web.hcl:8,7-12: Missing timeout; a check needs a timeout`},
		{"script check without task", group(`    service {
      check {
        type     = "script"
        command  = "true"
        interval = "1s"
        timeout  = "1s"
      }
    }`), `web.hcl:7,7-12: Missing task; a script check of a group service runs inside a task`},
		{"duplicate names", group(`    service {
      name = "web"
    }
    service {
      name = "web"
    }`), `web.hcl:10,14-19: Duplicate service name; service names must be unique within a group; "web" is already used at web.hcl:7,14-19`},
		{"duplicate default names", group(`    service {}
    service {}`), `web.hcl:7,5-12: Duplicate service name; service names must be unique within a group; "shop-web" is already used`},
		{"consul provider", group(`    service {
      provider = "consul"
    }`), `web.hcl:7,18-26: Invalid value for "provider"; consul is not supported by orch`},
		{"interval too short", group(`    service {
      port = "http"
      check {
        type     = "tcp"
        interval = "100ms"
        timeout  = "1s"
      }
    }`), `web.hcl:10,20-27: Invalid value for "interval"; interval must be at least 1s, got 100ms`},
		{"http check without path", group(`    service {
      port = "http"
      check {
        type     = "http"
        interval = "1s"
        timeout  = "1s"
      }
    }`), `web.hcl:8,7-12: Missing path; an http check needs a path`},
		{"bad expected status", group(`    service {
      port = "http"
      check {
        type            = "http"
        path            = "/"
        interval        = "1s"
        timeout         = "1s"
        expected_status = [42]
      }
    }`), `web.hcl:13,27-31: Invalid value for "expected_status"; expected_status must hold HTTP status codes from 100 to 599`},
		{"bad address mode", group(`    service {
      address_mode = "ipv6"
    }`), `web.hcl:7,22-28: Invalid value for "address_mode"; address_mode must be one of auto, host, driver, alloc, got "ipv6"`},
		{"unknown check attribute", group(`    service {
      check {
        typ = "tcp"
      }
    }`), `Did you mean "type"?`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseErr(t, tc.src); !strings.Contains(got, tc.want) {
				t.Errorf("error:\n%s\nwant it to contain\n%s", got, tc.want)
			}
		})
	}
}

func TestServicesExample(t *testing.T) {
	t.Parallel()
	job, err := ParseFile("../examples/services.hcl")
	if err != nil {
		t.Fatal(err)
	}
	job.Canonicalize()
	web, proxy := job.TaskGroups[0], job.TaskGroups[1]
	if len(web.Services) != 1 || web.Services[0].Checks[0].CheckRestart == nil || len(proxy.Tasks[0].Templates) != 1 {
		t.Fatalf("services %+v, templates %+v", web.Services, proxy.Tasks[0].Templates)
	}
}
