package command

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
)

func TestServerMembers(t *testing.T) {
	members := &api.ServerMembers{ServerName: "s1", ServerRegion: "global", ServerDC: "dc1", Members: []*api.AgentMember{
		{Name: "s2.global", Addr: "127.0.0.3", Port: 4648, Status: "failed",
			Tags: map[string]string{"rpc_addr": "127.0.0.3:4647", "raft_vsn": "3", "build": "0.1.0", "dc": "dc2", "region": "global"}},
		{Name: "s1.global", Addr: "127.0.0.2", Port: 4648, Status: "alive",
			Tags: map[string]string{"rpc_addr": "127.0.0.2:4647", "raft_vsn": "3", "build": "0.1.0", "dc": "dc1", "region": "global"}},
	}}
	cases := []struct {
		name     string
		leader   interface{}
		args     []string
		want     []string
		wantNone string
	}{
		{
			name:   "table marks the raft leader by its rpc address",
			leader: "127.0.0.2:4647",
			want: []string{
				"Name Address Port Status Leader Raft Version Build Datacenter Region",
				"s1.global 127.0.0.2 4648 alive true 3 0.1.0 dc1 global",
				"s2.global 127.0.0.3 4648 failed false 3 0.1.0 dc2 global",
			},
		},
		{
			name:     "no leader: nobody is marked",
			leader:   "",
			want:     []string{"s1.global 127.0.0.2 4648 alive false"},
			wantNone: "true",
		},
		{
			name:   "detailed lists the tags",
			leader: "127.0.0.2:4647",
			args:   []string{"-detailed"},
			want: []string{"Name Address Port Tags",
				"s1.global 127.0.0.2 4648 build=0.1.0,dc=dc1,raft_vsn=3,region=global,rpc_addr=127.0.0.2:4647"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeAPI(t, map[string]interface{}{
				"GET /v1/agent/members": members,
				"GET /v1/status/leader": tc.leader,
			})
			ui := newUi()
			cmd := &ServerMembersCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != 0 {
				t.Fatalf("exit %d: %s", code, ui.ErrorWriter)
			}
			out := ui.OutputWriter.String()
			assertContains(t, out, tc.want...)
			if tc.wantNone != "" && strings.Contains(out, tc.wantNone) {
				t.Errorf("output contains %q:\n%s", tc.wantNone, out)
			}
		})
	}
}

func TestServerJoin(t *testing.T) {
	var got []string
	addr := fakeAPI(t, map[string]interface{}{
		"PUT /v1/agent/join": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.URL.Query()["address"]
			if got[0] == "unreachable" {
				_, _ = w.Write([]byte(`{"num_joined":0,"error":"join [unreachable:4648]: nothing answered"}`))
				return
			}
			_, _ = w.Write([]byte(`{"num_joined":2,"error":""}`))
		}),
	})
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantSent []string
		wantOut  string
		wantErr  string
	}{
		{"no address", nil, 1, nil, "", "Missing address"},
		{"two servers", []string{"127.0.0.2", "127.0.0.3:4648"}, 0, []string{"127.0.0.2", "127.0.0.3:4648"}, "Joined 2 servers successfully", ""},
		{"failure is reported", []string{"unreachable"}, 1, []string{"unreachable"}, "", "nothing answered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			ui := newUi()
			cmd := &ServerJoinCommand{Meta: Meta{Ui: ui}}
			if code := cmd.Run(append([]string{"-address", addr}, tc.args...)); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, ui.ErrorWriter)
			}
			if strings.Join(got, ",") != strings.Join(tc.wantSent, ",") {
				t.Errorf("sent addresses %v, want %v", got, tc.wantSent)
			}
			if !strings.Contains(ui.OutputWriter.String(), tc.wantOut) {
				t.Errorf("output %q does not contain %q", ui.OutputWriter.String(), tc.wantOut)
			}
			if !strings.Contains(ui.ErrorWriter.String(), tc.wantErr) {
				t.Errorf("errors %q do not contain %q", ui.ErrorWriter.String(), tc.wantErr)
			}
		})
	}
}
