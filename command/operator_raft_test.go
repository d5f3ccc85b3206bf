package command

import (
	"net/http"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestOperatorRaftListPeers(t *testing.T) {
	addr := fakeAPI(t, map[string]interface{}{
		"GET /v1/operator/raft/configuration": &api.RaftConfiguration{Index: 9, Servers: []*api.RaftServer{
			{ID: "id-1", Node: "s1", Address: "127.0.0.2:4647", Leader: true, Voter: true, RaftProtocol: "3"},
			{ID: "id-2", Node: "(unknown)", Address: "127.0.0.3:4647", Voter: false, RaftProtocol: "3"},
		}},
	})
	ui := newUi()
	cmd := &OperatorRaftListPeersCommand{Meta: Meta{Ui: ui}}
	if code := cmd.Run([]string{"-address", addr}); code != 0 {
		t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
	}
	assertContains(t, ui.OutputWriter.String(),
		"Node ID Address State Voter RaftProtocol",
		"s1 id-1 127.0.0.2:4647 leader true 3",
		"(unknown) id-2 127.0.0.3:4647 follower false 3")
}

func TestOperatorRaftRemovePeer(t *testing.T) {
	var gotQuery string
	addr := fakeAPI(t, map[string]interface{}{
		"DELETE /v1/operator/raft/peer": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gotQuery = r.URL.RawQuery
			if r.URL.Query().Get("id") == "leader-id" {
				http.Error(w, "raft remove peer: bad request: leader-id (127.0.0.2:4647) is the leader", http.StatusBadRequest)
			}
		}),
	})
	cases := []struct {
		name      string
		args      []string
		wantCode  int
		wantQuery string
		wantOut   string
		wantErr   string
	}{
		{"neither flag", nil, 1, "", "", "exactly one of -peer-address or -peer-id"},
		{"both flags", []string{"-peer-id", "a", "-peer-address", "127.0.0.3:4647"}, 1, "", "", "exactly one"},
		{"stray argument", []string{"-peer-id", "a", "extra"}, 1, "", "", "takes no arguments"},
		{"by address", []string{"-peer-address", "127.0.0.3:4647"}, 0, "address=127.0.0.3%3A4647", "Removed peer with address 127.0.0.3:4647", ""},
		{"by id", []string{"-peer-id", "id-2"}, 0, "id=id-2", "Removed peer with ID id-2", ""},
		{"leader refused", []string{"-peer-id", "leader-id"}, 1, "id=leader-id", "", "is the leader"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gotQuery = ""
			ui := newUi()
			cmd := &OperatorRaftRemovePeerCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			if gotQuery != tc.wantQuery {
				t.Fatalf("request query %q, want %q", gotQuery, tc.wantQuery)
			}
			assertContains(t, ui.OutputWriter.String(), tc.wantOut)
			assertContains(t, ui.ErrorWriter.String(), tc.wantErr)
		})
	}
}
