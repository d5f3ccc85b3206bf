package client

import (
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestNormalizeServers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{"default port added", []string{"10.0.0.1"}, []string{"10.0.0.1:4647"}, ""},
		{"port kept", []string{"10.0.0.1:9000"}, []string{"10.0.0.1:9000"}, ""},
		{"duplicates and blanks dropped", []string{"a:1", " ", "a:1", "b"}, []string{"a:1", "b:4647"}, ""},
		{"ipv6", []string{"[::1]:4647"}, []string{"[::1]:4647"}, ""},
		{"bad port", []string{"a:99999"}, nil, `address "a:99999"`},
		{"missing host", []string{":4647"}, nil, `address ":4647"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeServers(tc.in, 4647)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one mentioning %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestNewServers_NoAddresses(t *testing.T) {
	t.Parallel()
	if _, err := NewServers([]string{" "}, 4647, nil); err == nil {
		t.Fatal("no addresses accepted")
	}
}

func TestServers_SetServersKeepsCurrentFirst(t *testing.T) {
	t.Parallel()
	s, err := NewServers([]string{"a:1", "b:1"}, 4647, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	current := s.List()[0]

	s.SetServers(nil)
	if got := s.List(); len(got) != 2 {
		t.Fatalf("an empty answer changed the list to %v", got)
	}
	s.SetServers([]string{"c:1", current, "d:1"})
	got := s.List()
	if got[0] != current || len(got) != 3 || !slices.Contains(got, "c:1") || !slices.Contains(got, "d:1") {
		t.Fatalf("list %v: want %s first, then c:1 and d:1", got, current)
	}
	s.SetServers([]string{"e:1"})
	if got := s.List(); !slices.Equal(got, []string{"e:1"}) {
		t.Fatalf("list %v, want [e:1]", got)
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServers_RPC(t *testing.T) {
	t.Parallel()
	srv := nomadtest.TestServer(t, func(c *nomadlike.Config) { c.NumSchedulers = -1 })
	live := srv.RPCAddr().String()
	dead := closedAddr(t)

	t.Run("dial failure moves on to the next server", func(t *testing.T) {
		s := newOrderedServers(t, dead, live)
		var resp structs.SingleNodeResponse
		err := s.RPC(structs.NodeGetNodeRPC, &structs.NodeSpecificRequest{NodeID: "x"}, &resp)
		if err != nil {
			t.Fatalf("rpc with one live server: %v", err)
		}
		if got := s.List(); got[0] != live {
			t.Fatalf("list %v: want the live server %s first after the dead one failed", got, live)
		}
	})
	t.Run("endpoint errors do not move", func(t *testing.T) {
		s := newOrderedServers(t, live, dead)
		var resp structs.SingleNodeResponse
		err := s.RPC(structs.NodeGetNodeRPC, &structs.NodeSpecificRequest{}, &resp)
		if !errors.Is(err, structs.ErrBadRequest) {
			t.Fatalf("error %v, want a bad request from the server", err)
		}
		if got := s.List(); got[0] != live {
			t.Fatalf("list %v: a server that answered must stay current", got)
		}
	})
	t.Run("no server reachable", func(t *testing.T) {
		s := newOrderedServers(t, dead, closedAddr(t))
		var resp structs.SingleNodeResponse
		err := s.RPC(structs.NodeGetNodeRPC, &structs.NodeSpecificRequest{NodeID: "x"}, &resp)
		if err == nil || !strings.Contains(err.Error(), "no server reachable") {
			t.Fatalf("error %v, want no server reachable", err)
		}
	})
}

// newOrderedServers returns Servers that try addrs in the given order.
func newOrderedServers(t *testing.T, addrs ...string) *Servers {
	t.Helper()
	s, err := NewServers(addrs, 4647, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	s.list = slices.Clone(addrs)
	t.Cleanup(s.Close)
	return s
}

// countingRPC counts the calls of a method that succeeded and failed.
type countingRPC struct {
	*Servers
	method string
	ok     atomic.Int64
	failed atomic.Int64
}

func (c *countingRPC) RPC(method string, args, reply interface{}) error {
	err := c.Servers.RPC(method, args, reply)
	if method == c.method {
		if err == nil {
			c.ok.Add(1)
		} else {
			c.failed.Add(1)
		}
	}
	return err
}
