package nomadlike

import (
	"strings"
	"testing"

	"github.com/hashicorp/raft"
)

func TestBootstrap_Decide(t *testing.T) {
	srv := func(name, id string, expect int, status MemberStatus) serverInfo {
		return serverInfo{Name: name, ID: id, RPCAddr: id + ":4647", Expect: expect, Status: status}
	}
	cases := []struct {
		name     string
		expect   int
		servers  []serverInfo
		wantIDs  []string
		conflict []string
	}{
		{
			name:    "too few servers waits",
			expect:  3,
			servers: []serverInfo{srv("a", "1", 3, MemberAlive), srv("b", "2", 3, MemberAlive)},
		},
		{
			name:   "failed servers do not count",
			expect: 3,
			servers: []serverInfo{srv("a", "1", 3, MemberAlive), srv("b", "2", 3, MemberAlive),
				srv("c", "3", 3, MemberFailed)},
		},
		{
			name:   "expected count bootstraps with all of them sorted by id",
			expect: 3,
			servers: []serverInfo{srv("c", "3", 3, MemberAlive), srv("a", "1", 3, MemberAlive),
				srv("b", "2", 3, MemberAlive)},
			wantIDs: []string{"1", "2", "3"},
		},
		{
			name:   "more than expected takes every alive server",
			expect: 3,
			servers: []serverInfo{srv("a", "1", 3, MemberAlive), srv("b", "2", 3, MemberAlive),
				srv("c", "3", 3, MemberAlive), srv("d", "4", 3, MemberAlive), srv("e", "5", 3, MemberLeft)},
			wantIDs: []string{"1", "2", "3", "4"},
		},
		{
			name:   "disagreeing expect is a conflict naming the server and both values",
			expect: 3,
			servers: []serverInfo{srv("a", "1", 3, MemberAlive), srv("b", "2", 5, MemberAlive),
				srv("c", "3", 3, MemberAlive)},
			conflict: []string{"bootstrap_expect = 3", "server b has bootstrap_expect = 5"},
		},
		{
			name:    "a joining server with expect 0 neither counts nor conflicts",
			expect:  2,
			servers: []serverInfo{srv("a", "1", 2, MemberAlive), srv("z", "9", 0, MemberAlive)},
		},
		{
			name:   "a failed server's expect is not a conflict",
			expect: 2,
			servers: []serverInfo{srv("a", "1", 2, MemberAlive), srv("b", "2", 2, MemberAlive),
				srv("c", "3", 5, MemberFailed)},
			wantIDs: []string{"1", "2"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decideBootstrap(tc.expect, tc.servers)
			if len(tc.conflict) > 0 {
				if d.conflict == nil {
					t.Fatalf("no conflict reported; decision %+v", d)
				}
				for _, part := range tc.conflict {
					if !strings.Contains(d.conflict.Error(), part) {
						t.Errorf("conflict %q does not mention %q", d.conflict, part)
					}
				}
				if d.servers != nil {
					t.Errorf("conflict still bootstraps with %v", d.servers)
				}
				return
			}
			if d.conflict != nil {
				t.Fatalf("unexpected conflict: %v", d.conflict)
			}
			var got []string
			for _, s := range d.servers {
				if s.Suffrage != raft.Voter {
					t.Errorf("server %s is not a voter", s.ID)
				}
				if string(s.Address) != string(s.ID)+":4647" {
					t.Errorf("server %s has address %s, want its rpc address", s.ID, s.Address)
				}
				got = append(got, string(s.ID))
			}
			if strings.Join(got, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("bootstrap servers = %v, want %v", got, tc.wantIDs)
			}
			if tc.wantIDs == nil && d.waiting == "" {
				t.Errorf("waiting without saying why")
			}
		})
	}
}
