package agent

import (
	"reflect"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/jobspec"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestConvertServicesAndTemplates(t *testing.T) {
	t.Parallel()
	grace := 5 * time.Second
	in := &api.Job{ID: api.PointerOf("shop"), TaskGroups: []*api.TaskGroup{{
		Name:     api.PointerOf("web"),
		Networks: []*api.NetworkResource{{DynamicPorts: []api.Port{{Label: "http"}}}},
		Services: []*api.Service{{PortLabel: "http", Tags: []string{"a"}, Checks: []api.ServiceCheck{{
			Type: "http", Path: "/h", Interval: time.Second, Timeout: time.Second, ExpectedStatus: []int{204},
			Header: map[string][]string{"X": {"y"}}, CheckRestart: &api.CheckRestart{Limit: 3, Grace: &grace},
		}}}},
		Tasks: []*api.Task{{
			Name: "app", Driver: "raw_exec",
			Services:  []*api.Service{{Name: "admin", PortLabel: "8080"}},
			Templates: []*api.Template{{EmbeddedTmpl: api.PointerOf("x"), DestPath: api.PointerOf("local/x")}},
		}},
	}}}
	out := ConvertJob(in)
	tg := out.TaskGroups[0]
	wantGroup := []*structs.Service{{
		Name: "shop-web", PortLabel: "http", AddressMode: "auto", Provider: "orch", Tags: []string{"a"},
		Checks: []*structs.ServiceCheck{{
			Name: `service: "shop-web" check`, Type: "http", Path: "/h", Method: "GET", Protocol: "http", PortLabel: "http",
			Interval: time.Second, Timeout: time.Second, ExpectedStatus: []int{204}, Header: map[string][]string{"X": {"y"}},
			InitialStatus: "critical", OnUpdate: "require_healthy", CheckRestart: &structs.CheckRestart{Limit: 3, Grace: grace},
		}},
	}}
	cases := []struct {
		name      string
		got, want interface{}
	}{
		{"group services", tg.Services, wantGroup},
		{"task services", tg.Tasks[0].Services, []*structs.Service{{Name: "admin", TaskName: "app", PortLabel: "8080", AddressMode: "auto", Provider: "orch"}}},
		{"templates", tg.Tasks[0].Templates, []*structs.Template{{
			EmbeddedTmpl: "x", DestPath: "local/x", ChangeMode: "restart", Splay: 5 * time.Second, Perms: "0644", LeftDelim: "{{", RightDelim: "}}",
		}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %#v\nwant %#v", tc.got, tc.want)
			}
		})
	}
	if err := out.Validate(); err != nil {
		t.Errorf("converted job does not validate: %v", err)
	}
}

func TestServicesExampleValidates(t *testing.T) {
	t.Parallel()
	job, err := jobspec.ParseFile("../../examples/services.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := ConvertJob(job).Validate(); err != nil {
		t.Fatalf("examples/services.hcl does not validate: %v", err)
	}
}
