package command

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func capacityNode(status string, cpu int64, mem int64, cores uint16) *api.NodeListStub {
	return &api.NodeListStub{Status: status, SchedulingEligibility: "eligible", NodeResources: &api.NodeResources{
		Cpu:    api.NodeCpuResources{CpuShares: cpu, TotalCpuCores: cores},
		Memory: api.NodeMemoryResources{MemoryMB: mem},
	}, ReservedResources: &api.NodeReservedResources{Cpu: api.NodeReservedCpuResources{CpuShares: 100}}}
}

// TestJobValidate_NodeCapacity checks that a task asking more than any
// ready node has fails at its line when the agent answers with nodes,
// and that the check is skipped when it does not.
func TestJobValidate_NodeCapacity(t *testing.T) {
	const job = `job "web" {
  group "web" {
    task "a" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      resources {
        cores  = 16
        memory = 2048
      }
    }
    task "b" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      resources {
        cpu    = 9000
        memory = 100000
      }
    }
  }
}
`
	nodes := []*api.NodeListStub{
		capacityNode("ready", 8000, 16384, 8),
		capacityNode("ready", 4000, 65536, 4),
		// Down nodes do not count, however large.
		capacityNode("down", 64000, 1<<20, 64),
	}
	cases := []struct {
		name     string
		nodes    interface{}
		wantCode int
		wantErr  []string
	}{
		{"beyond every ready node", nodes, 1, []string{
			`:7,18-20: Resources beyond every node; cores = 16 is more than any of the 2 ready nodes offers (at most 8)`,
			`:15,18-22: Resources beyond every node; cpu = 9000 MHz is more than any of the 2 ready nodes offers (at most 7900 MHz)`,
			`:16,18-24: Resources beyond every node; memory = 100000 MB is more than any of the 2 ready nodes offers (at most 65536 MB)`,
		}},
		{"no ready node skips the check", []*api.NodeListStub{capacityNode("down", 1, 1, 1)}, 0, nil},
		{"agent without node list skips the check", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusInternalServerError)
		}), 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var query string
			routes := map[string]interface{}{
				"PUT /v1/validate/job": &api.JobValidateResponse{},
				"GET /v1/nodes":        tc.nodes,
			}
			if _, ok := tc.nodes.(http.HandlerFunc); !ok {
				body := tc.nodes
				routes["GET /v1/nodes"] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					query = r.URL.RawQuery
					writeJSONBody(t, w, body)
				})
			}
			addr := fakeAPI(t, routes)
			ui := newUi()
			code := (&JobValidateCommand{Meta: Meta{Ui: ui}}).Run([]string{"-address", addr, writeJob(t, job)})
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(ui.ErrorWriter.String(), w) {
					t.Errorf("missing %q in:\n%s", w, ui.ErrorWriter)
				}
			}
			if tc.wantErr != nil && !strings.Contains(query, "resources=true") {
				t.Errorf("nodes listed with query %q, want resources=true", query)
			}
		})
	}
}
