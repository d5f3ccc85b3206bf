package command

import (
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestNodeStatusHostVolumes(t *testing.T) {
	nodeID := "node0000-0000-0000-0000-000000000000"
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/nodes": prefixList(t, []*api.NodeListStub{{ID: nodeID, Name: "n1"}}),
		"GET /v1/node/" + nodeID: &api.Node{ID: nodeID, Name: "n1", Status: "ready", HostVolumes: map[string]*api.HostVolumeInfo{
			"pg-data": {Path: "/srv/pg"},
			"certs":   {Path: "/etc/ssl/certs", ReadOnly: true},
		}},
		"GET /v1/node/" + nodeID + "/allocations": []*api.Allocation{},
	})
	ui := newUi()
	cmd := &NodeStatusCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", addr, "node"}); code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
	}
	out := ui.OutputWriter.String()
	assertContains(t, out, "Host Volumes", "certs true /etc/ssl/certs", "pg-data false /srv/pg")
	if strings.Index(out, "certs") > strings.Index(out, "pg-data") {
		t.Errorf("host volumes not sorted by name:\n%s", out)
	}
}
