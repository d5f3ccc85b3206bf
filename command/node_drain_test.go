package command

import (
	"net/http"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
)

func TestNodeDrainAndEligibility(t *testing.T) {
	nodeID := "node0000-0000-0000-0000-000000000000"
	var gotDrain api.NodeUpdateDrainRequest
	var gotElig api.NodeUpdateEligibilityRequest
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/nodes": prefixList(t, []*api.NodeListStub{{ID: nodeID}}),
		"POST /v1/node/" + nodeID + "/drain": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotDrain = api.NodeUpdateDrainRequest{}
			readJSONBody(t, r, &gotDrain)
			writeJSONBody(t, w, &api.NodeDrainUpdateResponse{NodeModifyIndex: 5})
		}),
		"POST /v1/node/" + nodeID + "/eligibility": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			readJSONBody(t, r, &gotElig)
			writeJSONBody(t, w, &api.NodeEligibilityUpdateResponse{NodeModifyIndex: 6})
		}),
	})
	cases := []struct {
		name      string
		cmd       func(Meta) interface{ Run([]string) int }
		args      []string
		wantCode  int
		wantSpec  *api.DrainSpec
		wantMark  bool
		wantElig  string
		wantOut   string
		wantError string
	}{
		{name: "drain with deadline", cmd: drainCmd, args: []string{"-enable", "-deadline", "10m", "-ignore-system", "-yes", "node"},
			wantSpec: &api.DrainSpec{Deadline: 10 * time.Minute, IgnoreSystemJobs: true}, wantOut: "drain strategy set"},
		{name: "drain default deadline", cmd: drainCmd, args: []string{"-enable", "node"},
			wantSpec: &api.DrainSpec{Deadline: time.Hour}, wantOut: "drain strategy set"},
		{name: "force", cmd: drainCmd, args: []string{"-enable", "-force", "node"},
			wantSpec: &api.DrainSpec{Deadline: -1}, wantOut: "drain strategy set"},
		{name: "disable marks eligible", cmd: drainCmd, args: []string{"-disable", "node"},
			wantMark: true, wantOut: "drain strategy unset"},
		{name: "neither flag", cmd: drainCmd, args: []string{"node"}, wantCode: 1, wantError: "-enable or -disable"},
		{name: "bad deadline", cmd: drainCmd, args: []string{"-enable", "-deadline", "-5m", "node"}, wantCode: 1, wantError: "must be positive"},
		{name: "eligible", cmd: eligCmd, args: []string{"-enable", "node"}, wantElig: "eligible", wantOut: "eligible for scheduling"},
		{name: "ineligible", cmd: eligCmd, args: []string{"-disable", "node"}, wantElig: "ineligible", wantOut: "ineligible for scheduling"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gotDrain, gotElig = api.NodeUpdateDrainRequest{DrainSpec: &api.DrainSpec{Deadline: 42}}, api.NodeUpdateEligibilityRequest{}
			ui := newUi()
			code := tc.cmd(Meta{Ui: ui}).Run(append([]string{"-address", addr}, tc.args...))
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			if tc.wantError != "" {
				assertContains(t, ui.ErrorWriter.String(), tc.wantError)
				return
			}
			assertContains(t, ui.OutputWriter.String(), tc.wantOut)
			if tc.wantElig != "" {
				if gotElig.Eligibility != tc.wantElig {
					t.Fatalf("eligibility %q, want %q", gotElig.Eligibility, tc.wantElig)
				}
				return
			}
			if (gotDrain.DrainSpec == nil) != (tc.wantSpec == nil) ||
				(tc.wantSpec != nil && *gotDrain.DrainSpec != *tc.wantSpec) || gotDrain.MarkEligible != tc.wantMark {
				t.Fatalf("drain request %+v (spec %+v), want spec %+v mark %v", gotDrain, gotDrain.DrainSpec, tc.wantSpec, tc.wantMark)
			}
		})
	}
}

func drainCmd(m Meta) interface{ Run([]string) int } { return &NodeDrainCommand{Meta: m} }
func eligCmd(m Meta) interface{ Run([]string) int }  { return &NodeEligibilityCommand{Meta: m} }
