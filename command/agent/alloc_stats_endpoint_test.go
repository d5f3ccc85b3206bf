package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeStats is a client that reports fixed resource usage.
type fakeStats struct {
	fakeLogs
	usage  *structs.AllocResourceUsage
	err    error
	gotIDs []string
}

func (f *fakeStats) AllocStats(_ context.Context, allocID string) (*structs.AllocResourceUsage, error) {
	f.gotIDs = append(f.gotIDs, allocID)
	return f.usage, f.err
}

func sampleUsage() *structs.AllocResourceUsage {
	ru := &structs.ResourceUsage{
		MemoryStats: &structs.MemoryStats{RSS: 3 << 20, Cache: 1 << 20, Usage: 4 << 20, Measured: []string{"RSS", "Cache", "Usage"}},
		CpuStats:    &structs.CpuStats{Percent: 25, TotalTicks: 500, UserMode: 20, SystemMode: 5, Measured: []string{"Percent", "Total Ticks"}},
	}
	return &structs.AllocResourceUsage{
		ResourceUsage: ru,
		Tasks:         map[string]*structs.TaskResourceUsage{"web": {ResourceUsage: ru, Timestamp: 99, Pids: map[string]*structs.ResourceUsage{"41": nil}}},
		Timestamp:     99,
	}
}

// wantAPIUsage is sampleUsage as Nomad's JSON shape decodes into api types.
func wantAPIUsage() *api.AllocResourceUsage {
	ru := &api.ResourceUsage{
		MemoryStats: &api.MemoryStats{RSS: 3 << 20, Cache: 1 << 20, Usage: 4 << 20, Measured: []string{"RSS", "Cache", "Usage"}},
		CpuStats:    &api.CpuStats{Percent: 25, TotalTicks: 500, UserMode: 20, SystemMode: 5, Measured: []string{"Percent", "Total Ticks"}},
	}
	return &api.AllocResourceUsage{
		ResourceUsage: ru,
		Tasks:         map[string]*api.TaskResourceUsage{"web": {ResourceUsage: ru, Timestamp: 99, Pids: map[string]*api.ResourceUsage{"41": nil}}},
		Timestamp:     99,
	}
}

func TestAllocStats(t *testing.T) {
	node := mock.Node()
	// Port 1 on loopback: nothing listens there, so a forward fails fast.
	node.HTTPAddr = "127.0.0.1:1"
	alloc := mock.AllocFor(mock.Job(), node, 0)
	cases := []struct {
		name      string
		allocID   string
		localNode string
		clientErr error
		noStats   bool
		hdr       map[string]string
		code      int
		body      string // a substring of the body when the code is not 200
	}{
		{name: "local allocation", allocID: alloc.ID, localNode: node.ID, code: 200},
		{name: "unknown allocation", allocID: "nope", localNode: node.ID, code: 404, body: "alloc not found"},
		{name: "client no longer runs it", allocID: alloc.ID, localNode: node.ID,
			clientErr: fmt.Errorf("allocation %q: %w", alloc.ID, structs.ErrNotFound), code: 404, body: "resource usage of allocation " + alloc.ID},
		{name: "client without stats", allocID: alloc.ID, localNode: node.ID, noStats: true, code: 501, body: "does not report resource usage"},
		{name: "other node whose agent is down", allocID: alloc.ID, localNode: "elsewhere", code: 502, body: "did not answer"},
		{name: "other node, already forwarded once", allocID: alloc.ID, localNode: "elsewhere",
			hdr: map[string]string{forwardedHeader: "1"}, code: 400, body: "ask the agent there, at 127.0.0.1:1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				structs.AllocGetAllocRPC: func(a, r interface{}) error {
					if a.(*structs.AllocSpecificRequest).AllocID == alloc.ID {
						r.(*structs.SingleAllocResponse).Alloc = alloc
					}
					return nil
				},
				structs.NodeGetNodeRPC: func(a, r interface{}) error {
					r.(*structs.SingleNodeResponse).Node = node
					return nil
				},
			}}
			stats := &fakeStats{fakeLogs: fakeLogs{nodeID: tc.localNode}, usage: sampleUsage(), err: tc.clientErr}
			s := newTestHTTP(t, rpc, func(c *HTTPServerConfig) {
				c.Logs = stats
				if tc.noStats {
					c.Logs = &stats.fakeLogs
				}
			})
			rec := do(t, s, "GET", "/v1/client/allocation/"+tc.allocID+"/stats", "", tc.hdr)
			if rec.Code != tc.code {
				t.Fatalf("code %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			if tc.code != 200 {
				if !strings.Contains(rec.Body.String(), tc.body) {
					t.Fatalf("body %q does not contain %q", rec.Body, tc.body)
				}
				return
			}
			var got api.AllocResourceUsage
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, wantAPIUsage()) || !reflect.DeepEqual(stats.gotIDs, []string{alloc.ID}) {
				t.Fatalf("stats %s for %v", rec.Body, stats.gotIDs)
			}
		})
	}
}

// TestAllocStats_ForwardsToNode: an agent asked for the stats of an
// allocation on another node returns what that node's agent reports.
func TestAllocStats_ForwardsToNode(t *testing.T) {
	node := mock.Node()
	alloc := mock.AllocFor(mock.Job(), node, 0)
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.AllocGetAllocRPC: func(a, r interface{}) error {
			r.(*structs.SingleAllocResponse).Alloc = alloc
			return nil
		},
		structs.NodeGetNodeRPC: func(a, r interface{}) error {
			r.(*structs.SingleNodeResponse).Node = node
			return nil
		},
	}}
	remoteStats := &fakeStats{fakeLogs: fakeLogs{nodeID: node.ID}, usage: sampleUsage()}
	remote := newTestHTTP(t, rpc, func(c *HTTPServerConfig) { c.Logs = remoteStats })
	addr, err := remote.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = remote.Shutdown(context.Background()) })
	node.HTTPAddr = addr.String()

	// A server-only agent has no client at all.
	local := newTestHTTP(t, rpc, nil)
	rec := do(t, local, "GET", "/v1/client/allocation/"+alloc.ID+"/stats", "", nil)
	if rec.Code != 200 {
		t.Fatalf("forwarded stats: code %d body %q", rec.Code, rec.Body)
	}
	var got api.AllocResourceUsage
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, wantAPIUsage()) || !reflect.DeepEqual(remoteStats.gotIDs, []string{alloc.ID}) {
		t.Fatalf("forwarded stats %s, node agent asked for %v", rec.Body, remoteStats.gotIDs)
	}
}
