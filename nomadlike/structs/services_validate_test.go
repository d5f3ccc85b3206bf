package structs_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func serviceJob() *structs.Job {
	j := mock.Job()
	tg := j.TaskGroups[0]
	tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http"}}}}
	tg.Services = []*structs.Service{{
		Name: "web", PortLabel: "http", Provider: "orch", AddressMode: "auto",
		Checks: []*structs.ServiceCheck{{
			Type: "http", Path: "/health", Interval: time.Second, Timeout: time.Second,
			InitialStatus: "critical", OnUpdate: "require_healthy", Header: map[string][]string{"A": {"b"}},
			CheckRestart: &structs.CheckRestart{Limit: 2, Grace: time.Second},
		}},
	}}
	tg.Tasks[0].Templates = []*structs.Template{{EmbeddedTmpl: "{{ env \"X\" }}", DestPath: "local/x", ChangeMode: "restart", Perms: "0644", LeftDelim: "{{", RightDelim: "}}"}}
	return j
}

func TestJobValidateServices(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(tg *structs.TaskGroup)
		want   []string
	}{
		{"valid", func(*structs.TaskGroup) {}, nil},
		{"unknown port label", func(tg *structs.TaskGroup) { tg.Services[0].PortLabel = "https" },
			[]string{`Services[0].PortLabel: "https" is not a port label of the group's network block: want one of http`}},
		{"numeric port", func(tg *structs.TaskGroup) { tg.Services[0].PortLabel = "8080" }, nil},
		{"consul provider", func(tg *structs.TaskGroup) { tg.Services[0].Provider = "consul" },
			[]string{"Services[0].Provider: consul is not supported by orch"}},
		{"duplicate name across levels", func(tg *structs.TaskGroup) {
			tg.Tasks[0].Services = []*structs.Service{{Name: "web"}}
		}, []string{`Tasks["web"].Services[0].Name: "web" is already the name of TaskGroups["web"].Services[0]`}},
		{"check without interval and with a bad type", func(tg *structs.TaskGroup) {
			tg.Services[0].Checks[0].Interval = 0
			tg.Services[0].Checks[0].Type = "ttl"
		}, []string{"Checks[0].Interval: interval must be at least 1s", `Checks[0].Type: "ttl" is not a check type`}},
		{"group script check without task", func(tg *structs.TaskGroup) {
			tg.Services[0].Checks[0] = &structs.ServiceCheck{Type: "script", Command: "true", Interval: time.Second, Timeout: time.Second}
		}, []string{"Checks[0].TaskName: a script check of a group service needs a task"}},
		{"template syntax error", func(tg *structs.TaskGroup) { tg.Tasks[0].Templates[0].EmbeddedTmpl = "{{ .X " },
			[]string{"Templates[0].EmbeddedTmpl: template: template:1: unclosed action"}},
		{"template signal without signal", func(tg *structs.TaskGroup) { tg.Tasks[0].Templates[0].ChangeMode = "signal" },
			[]string{"Templates[0].ChangeSignal: change_mode = \"signal\" needs a change_signal"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := serviceJob()
			tc.change(j.TaskGroups[0])
			err := j.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("valid job rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid job accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestServiceCopyIsDeep(t *testing.T) {
	t.Parallel()
	j := serviceJob()
	c := j.Copy()
	if !reflect.DeepEqual(j, c) {
		t.Fatal("copy differs")
	}
	c.TaskGroups[0].Services[0].Checks[0].Header["A"][0] = "changed"
	c.TaskGroups[0].Services[0].Checks[0].CheckRestart.Limit = 9
	c.TaskGroups[0].Tasks[0].Templates[0].DestPath = "changed"
	orig := j.TaskGroups[0]
	if orig.Services[0].Checks[0].Header["A"][0] != "b" || orig.Services[0].Checks[0].CheckRestart.Limit != 2 || orig.Tasks[0].Templates[0].DestPath != "local/x" {
		t.Error("copy shares memory with the original")
	}
}
