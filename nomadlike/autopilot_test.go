package nomadlike

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestAutopilot_PlanMembership(t *testing.T) {
	now := time.Unix(1000, 0)
	threshold := 30 * time.Second
	voter := func(id string) raft.Server {
		return raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(id), Address: raft.ServerAddress(id + ":4647")}
	}
	member := func(id string, status MemberStatus, ago time.Duration) serverInfo {
		return serverInfo{Name: "s" + id, ID: id, RPCAddr: id + ":4647", Status: status, Since: now.Add(-ago)}
	}
	conf := func(ids ...string) raft.Configuration {
		var c raft.Configuration
		for _, id := range ids {
			c.Servers = append(c.Servers, voter(id))
		}
		return c
	}
	cases := []struct {
		name    string
		conf    raft.Configuration
		members []serverInfo
		expect  int
		disable bool
		want    []string // "+id" added, "-id" removed
		held    []string
	}{
		{
			name:    "in step: nothing to do",
			conf:    conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0), member("3", MemberAlive, 0)},
			expect:  3,
		},
		{
			name: "a new alive server becomes a voter",
			conf: conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0), member("3", MemberAlive, 0),
				member("4", MemberAlive, 0)},
			expect: 3,
			want:   []string{"+4"},
		},
		{
			name: "a server at a new address is re-added",
			conf: conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0),
				{Name: "s3", ID: "3", RPCAddr: "elsewhere:4647", Status: MemberAlive}},
			expect: 3,
			want:   []string{"+3"},
		},
		{
			name:    "a server that left is removed at once",
			conf:    conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0), member("3", MemberLeft, 0)},
			expect:  3,
			want:    []string{"-3"},
		},
		{
			name:    "a failed server within its grace period stays",
			conf:    conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0), member("3", MemberFailed, threshold-time.Second)},
			expect:  3,
		},
		{
			name:    "a failed server past its grace period is removed",
			conf:    conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0), member("3", MemberFailed, threshold)},
			expect:  3,
			want:    []string{"-3"},
		},
		{
			name:    "clean-up disabled keeps a failed server",
			conf:    conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0), member("3", MemberFailed, time.Hour)},
			expect:  3,
			disable: true,
		},
		{
			name:    "never below a quorum of the configured size",
			conf:    conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberFailed, time.Hour), member("3", MemberFailed, 2*time.Hour)},
			expect:  3,
			want:    []string{"-3"},
			held:    []string{"s2"},
		},
		{
			name: "five voters lose two failed ones, oldest failure first, not a third",
			conf: conf("1", "2", "3", "4", "5"),
			members: []serverInfo{member("1", MemberAlive, 0), member("2", MemberAlive, 0), member("3", MemberFailed, time.Minute),
				member("4", MemberFailed, time.Hour), member("5", MemberFailed, 2*time.Minute)},
			expect: 5,
			want:   []string{"-4", "-5"},
			held:   []string{"s3"},
		},
		{
			name:    "the leader itself is never touched",
			conf:    conf("1", "2", "3"),
			members: []serverInfo{member("1", MemberLeft, 0), member("2", MemberAlive, 0), member("3", MemberAlive, 0)},
			expect:  3,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ap := AutopilotConfig{DisableDeadServerCleanup: tc.disable, DeadServerThreshold: threshold}
			changes, held := planMembership("1", tc.conf, tc.members, ap, tc.expect, now)
			var got []string
			for _, c := range changes {
				sign := "+"
				if c.remove {
					sign = "-"
				}
				got = append(got, sign+string(c.id))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("changes = %v, want %v", got, tc.want)
			}
			if strings.Join(held, ",") != strings.Join(tc.held, ",") {
				t.Errorf("held = %v, want %v", held, tc.held)
			}
		})
	}
}
