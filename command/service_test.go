package command

import (
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestServiceListAndInfo(t *testing.T) {
	t.Parallel()
	instances := []*api.ServiceRegistration{
		{ID: "_orch-b", ServiceName: "web", JobID: "shop", NodeID: "1111111122222222", AllocID: "aaaaaaaabbbbbbbb",
			Address: "10.0.0.2", Port: 8080, Tags: []string{"v1"}, Status: "critical"},
		{ID: "_orch-a", ServiceName: "web", JobID: "shop", NodeID: "3333333344444444", AllocID: "ccccccccdddddddd",
			Address: "10.0.0.1", Port: 8081, Tags: []string{"v1", "canary"}, Status: "passing"},
	}
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/services": []*api.ServiceRegistrationListStub{{Namespace: "default",
			Services: []*api.ServiceRegistrationStub{{ServiceName: "web", Tags: []string{"v1", "canary"}}}}},
		"GET /v1/service/web":     instances,
		"GET /v1/service/missing": []*api.ServiceRegistration{},
	})
	cases := []struct {
		name  string
		cmd   func(ui *Meta) interface{ Run([]string) int }
		args  []string
		code  int
		wants []string
	}{
		{"list", func(m *Meta) interface{ Run([]string) int } { return &ServiceListCommand{Meta: *m} }, nil, 0,
			[]string{"Service Name Tags", "web [canary,v1]"}},
		{"info", func(m *Meta) interface{ Run([]string) int } { return &ServiceInfoCommand{Meta: *m} }, []string{"web"}, 0,
			[]string{"Job ID Address Tags Node ID Alloc ID Status",
				"shop 10.0.0.1:8081 [v1,canary] 33333333 cccccccc passing",
				"shop 10.0.0.2:8080 [v1] 11111111 aaaaaaaa critical"}},
		{"info verbose", func(m *Meta) interface{ Run([]string) int } { return &ServiceInfoCommand{Meta: *m} }, []string{"-verbose", "web"}, 0,
			[]string{"ID = _orch-a", "Alloc ID = ccccccccdddddddd", "Status = critical"}},
		{"info of an unknown service", func(m *Meta) interface{ Run([]string) int } { return &ServiceInfoCommand{Meta: *m} }, []string{"missing"}, 1,
			[]string{`No service registrations found for "missing"`}},
		{"info needs a name", func(m *Meta) interface{ Run([]string) int } { return &ServiceInfoCommand{Meta: *m} }, nil, 1,
			[]string{"Usage: orch service info"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ui := newUi()
			cmd := tc.cmd(&Meta{Ui: ui})
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != tc.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tc.code, ui.OutputWriter, ui.ErrorWriter)
			}
			assertContains(t, ui.OutputWriter.String()+ui.ErrorWriter.String(), tc.wants...)
		})
	}
}
