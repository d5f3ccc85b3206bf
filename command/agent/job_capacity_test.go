package agent

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// TestJobValidate_CapacityWarnings checks that /v1/validate/job warns about
// a task larger than every ready node, listing the nodes with their
// resources, and stays quiet when the task fits or the nodes cannot be
// listed.
func TestJobValidate_CapacityWarnings(t *testing.T) {
	node := func(status string, cores uint16, mem int64) *structs.NodeListStub {
		return &structs.NodeListStub{Status: status, SchedulingEligibility: structs.NodeSchedulingEligible,
			NodeResources: &structs.NodeResources{
				Cpu:    structs.NodeCpuResources{CpuShares: int64(cores) * 1000, TotalCpuCores: cores},
				Memory: structs.NodeMemoryResources{MemoryMB: mem},
			}}
	}
	cases := []struct {
		name   string
		cores  int
		nodes  []*structs.NodeListStub
		listOK bool
		want   []string
	}{
		{"fits", 2, []*structs.NodeListStub{node("ready", 4, 8192)}, true, nil},
		{"beyond every ready node", 16, []*structs.NodeListStub{node("ready", 4, 8192), node("down", 32, 8192)}, true,
			[]string{`TaskGroups["web"].Tasks["server"].Resources.Cores: 16 is more than any of the 1 ready nodes offers (at most 4)`}},
		{"node list fails", 16, nil, false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked bool
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{}}
			if tc.listOK {
				rpc.handlers[structs.NodeListRPC] = func(a, r interface{}) error {
					asked = a.(*structs.NodeListRequest).Resources
					r.(*structs.NodeListResponse).Nodes = tc.nodes
					return nil
				}
			}
			job := fullAPIJob("web")
			job.TaskGroups[0].Tasks[0].Resources = &api.Resources{Cores: intPtr(tc.cores), MemoryMB: intPtr(256)}
			s := newTestHTTP(t, rpc, nil)
			rec := do(t, s, "PUT", "/v1/validate/job", jobJSON(t, job), nil)
			var out api.JobValidateResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
				t.Fatalf("validate: %d %s (%v)", rec.Code, rec.Body, err)
			}
			if len(out.ValidationErrors) != 0 {
				t.Fatalf("validation errors %q", out.ValidationErrors)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.Warnings, w) {
					t.Errorf("missing warning %q in %q", w, out.Warnings)
				}
			}
			if tc.want == nil && strings.Contains(out.Warnings, "ready nodes") {
				t.Errorf("unexpected capacity warning: %q", out.Warnings)
			}
			if tc.listOK && !asked {
				t.Error("nodes were listed without their resources")
			}
		})
	}
}
