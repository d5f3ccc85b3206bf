package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/snapshot"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// operatorAgent serves the HTTP API over a real dev server without
// workers, and returns an API client for it.
func operatorAgent(t *testing.T) (*nomadlike.Server, *HTTPServer, *api.Client) {
	t.Helper()
	srv := nomadtest.TestServer(t, func(c *nomadlike.Config) { c.NumSchedulers = -1 })
	h, err := NewHTTPServer(&HTTPServerConfig{Logger: testLogger(t), RPC: srv, Region: "global"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h.Handler())
	t.Cleanup(ts.Close)
	client, err := api.NewClient(&api.Config{Address: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	return srv, h, client
}

func TestOperatorRaftConfigurationJSON(t *testing.T) {
	t.Parallel()
	srv, h, _ := operatorAgent(t)
	rec := do(t, h, http.MethodGet, "/v1/operator/raft/configuration", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	// Nomad's shape, key by key, so Nomad's own client and scripts read it.
	var raw struct {
		Index   uint64
		Servers []map[string]interface{}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Index == 0 || len(raw.Servers) != 1 {
		t.Fatalf("configuration %s: want an index and one server", rec.Body)
	}
	got := raw.Servers[0]
	want := map[string]interface{}{"Node": "test-server", "Address": srv.RPCAddr().String(),
		"Leader": true, "Voter": true, "RaftProtocol": "3"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("server %s = %v, want %v", k, got[k], v)
		}
	}
	if id, _ := got["ID"].(string); id == "" {
		t.Errorf("server has no ID: %v", got)
	}
}

func TestOperatorRaftPeerErrors(t *testing.T) {
	t.Parallel()
	srv, h, client := operatorAgent(t)
	conf, err := client.Operator().RaftGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	leader := conf.Servers[0]
	cases := []struct {
		name     string
		target   string
		wantCode int
		wantBody string
	}{
		{"no peer named", "/v1/operator/raft/peer", http.StatusBadRequest, "exactly one of ?address=<host:port> or ?id="},
		{"both named", "/v1/operator/raft/peer?address=127.0.0.1:1&id=x", http.StatusBadRequest, "exactly one"},
		{"unknown address", "/v1/operator/raft/peer?address=127.0.0.1:1", http.StatusNotFound, `no peer with address "127.0.0.1:1"`},
		{"unknown id", "/v1/operator/raft/peer?id=nope", http.StatusNotFound, `no peer with id "nope"`},
		{"the leader", "/v1/operator/raft/peer?id=" + leader.ID, http.StatusBadRequest, "is the leader"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, http.MethodDelete, tc.target, "", nil)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("status %d %q, want %d containing %q", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
		})
	}
	if !srv.IsLeader() {
		t.Fatal("the server no longer leads after the refused removals")
	}
}

func TestOperatorSnapshotSaveRestore(t *testing.T) {
	t.Parallel()
	src, _, srcClient := operatorAgent(t)
	job := mock.Job()
	var reg structs.JobRegisterResponse
	if err := src.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &reg); err != nil {
		t.Fatal(err)
	}
	body, err := srcClient.Operator().Snapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatalf("read snapshot: %v", err)
	}
	meta, err := snapshot.Verify(bytes.NewReader(archive))
	if err != nil || meta.Index < reg.Index {
		t.Fatalf("archive meta %+v, %v: want a valid snapshot at index %d or later", meta, err, reg.Index)
	}

	dst, dstHTTP, dstClient := operatorAgent(t)
	refusals := []struct {
		name     string
		body     string
		wantCode int
		wantBody string
	}{
		{"empty body", "", http.StatusBadRequest, "request body is empty"},
		{"truncated archive", string(archive[:len(archive)/2]), http.StatusBadRequest, "snapshot archive is corrupt"},
		{"not an archive", "job \"web\" {}", http.StatusBadRequest, "not a gzip stream"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, dstHTTP, http.MethodPut, "/v1/operator/snapshot", tc.body, nil)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("status %d %q, want %d containing %q", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			if j, _ := dst.State().JobByID(nil, job.Namespace, job.ID); j != nil {
				t.Fatal("a refused restore wrote the job")
			}
		})
	}

	wm, err := dstClient.Operator().SnapshotRestore(bytes.NewReader(archive), nil)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if wm.LastIndex <= meta.Index {
		t.Fatalf("restore index %d, want past the snapshot's %d", wm.LastIndex, meta.Index)
	}
	jobs, _, err := dstClient.Jobs().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != job.ID || jobs[0].JobModifyIndex != reg.JobModifyIndex {
		t.Fatalf("jobs after restore %+v, want only %s at modify index %d", jobs, job.ID, reg.JobModifyIndex)
	}
}
