package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// fakeRPC records calls and answers each method with a test's function.
type fakeRPC struct {
	mu       sync.Mutex
	calls    []rpcCall
	handlers map[string]func(args, reply interface{}) error
}

type rpcCall struct {
	method string
	args   interface{}
}

func (f *fakeRPC) RPC(method string, args, reply interface{}) error {
	f.mu.Lock()
	f.calls = append(f.calls, rpcCall{method, args})
	h := f.handlers[method]
	f.mu.Unlock()
	if h == nil {
		return fmt.Errorf("unexpected rpc %s", method)
	}
	return h(args, reply)
}

func (f *fakeRPC) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeRPC) lastArgs(t *testing.T) interface{} {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("no rpc was made")
	}
	return f.calls[len(f.calls)-1].args
}

func testLogger(t *testing.T) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Trace, Output: tWriter{t}})
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func newTestHTTP(t *testing.T, rpc *fakeRPC, mod func(*HTTPServerConfig)) *HTTPServer {
	t.Helper()
	cfg := &HTTPServerConfig{Logger: testLogger(t), RPC: rpc, Region: "global"}
	if mod != nil {
		mod(cfg)
	}
	s, err := NewHTTPServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t *testing.T, s *HTTPServer, method, target string, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func TestJobsList_BlockingQuery(t *testing.T) {
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.JobListRPC: func(a, r interface{}) error {
			out := r.(*structs.JobListResponse)
			out.Jobs = []*structs.JobListStub{{ID: "web", Type: "service"}}
			out.QueryMeta = structs.QueryMeta{Index: 7, KnownLeader: true, LastContact: 12 * time.Millisecond}
			return nil
		},
	}}
	s := newTestHTTP(t, rpc, nil)
	rec := do(t, s, "GET", "/v1/jobs?index=5&wait=30s&prefix=we&namespace=prod&stale", "",
		map[string]string{"X-Nomad-Token": "secret"})
	if rec.Code != 200 {
		t.Fatalf("code %d: %s", rec.Code, rec.Body)
	}
	args := rpc.lastArgs(t).(*structs.JobListRequest)
	want := structs.QueryOptions{Region: "global", Namespace: "prod", MinQueryIndex: 5,
		MaxQueryTime: 30 * time.Second, AllowStale: true, Prefix: "we", AuthToken: "secret"}
	if args.QueryOptions != want {
		t.Fatalf("query options %+v, want %+v", args.QueryOptions, want)
	}
	for k, v := range map[string]string{"X-Nomad-Index": "7", "X-Nomad-KnownLeader": "true", "X-Nomad-LastContact": "12"} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	var jobs []*api.JobListStub
	if err := json.Unmarshal(rec.Body.Bytes(), &jobs); err != nil || len(jobs) != 1 || jobs[0].ID != "web" {
		t.Fatalf("body %s (%v)", rec.Body, err)
	}
}

func TestQueryOptions_Invalid(t *testing.T) {
	cases := map[string]string{
		"bad index":             "/v1/jobs?index=abc",
		"bad wait":              "/v1/jobs?wait=forever",
		"bad all":               "/v1/job/web/allocations?all=maybe",
		"bad purge":             "/v1/job/web?purge=maybe",
		"bad no_shutdown_delay": "/v1/job/web?no_shutdown_delay=soon",
	}
	for name, target := range cases {
		t.Run(name, func(t *testing.T) {
			rpc := &fakeRPC{}
			s := newTestHTTP(t, rpc, nil)
			method := "GET"
			if strings.HasPrefix(target, "/v1/job/web?") {
				method = "DELETE"
			}
			rec := do(t, s, method, target, "", nil)
			if rec.Code != 400 || rpc.callCount() != 0 {
				t.Fatalf("code %d, rpcs %d: %s", rec.Code, rpc.callCount(), rec.Body)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		wantCode int
		wantBody string
	}{
		{"not found", fmt.Errorf("job lookup: %w", structs.ErrNotFound), 404, "job lookup: not found"},
		{"bad request", fmt.Errorf("count: %w", structs.ErrBadRequest), 400, "count: bad request"},
		{"no leader", structs.ErrNoLeader, 500, "No cluster leader"},
		{"no leader over the wire", errors.New("rpc error: no cluster leader"), 500, "No cluster leader"},
		{"no answer from the leader", fmt.Errorf("forward to leader x: %w: outcome unknown: after 10s: no answer in time", structs.ErrNoLeader),
			500, "No cluster leader: the leader did not answer in time, so the request may or may not have been applied"},
		{"permission", structs.ErrPermission, 403, "permission denied"},
		{"enforced index lost", fmt.Errorf("job register: %w: Enforcing job modify index 3: job exists with conflicting job modify index: 5", structs.ErrIndexChanged),
			400, "Enforcing job modify index 3: job exists with conflicting job modify index: 5"},
		{"enforced index lost over the wire", errors.New("job register: index changed: Enforcing job modify index 0: job already exists"),
			400, "Enforcing job modify index 0: job already exists"},
		{"other", errors.New("disk full"), 500, "disk full"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				structs.EvalListRPC: func(a, r interface{}) error { return tc.err },
			}}
			rec := do(t, newTestHTTP(t, rpc, nil), "GET", "/v1/evaluations", "", nil)
			if rec.Code != tc.wantCode || strings.TrimSpace(rec.Body.String()) != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
		})
	}
}

func TestNotFound_NilResult(t *testing.T) {
	cases := []struct{ method, path, want string }{
		{structs.JobGetJobRPC, "/v1/job/nope", "job not found"},
		{structs.JobSummaryRPC, "/v1/job/nope/summary", "job not found"},
		{structs.AllocGetAllocRPC, "/v1/allocation/nope", "alloc not found"},
		{structs.EvalGetEvalRPC, "/v1/evaluation/nope", "eval not found"},
		{structs.NodeGetNodeRPC, "/v1/node/nope", "node not found"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				tc.method: func(a, r interface{}) error { return nil },
			}}
			rec := do(t, newTestHTTP(t, rpc, nil), "GET", tc.path, "", nil)
			if rec.Code != 404 || strings.TrimSpace(rec.Body.String()) != tc.want {
				t.Fatalf("got %d %q", rec.Code, rec.Body)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	rec := do(t, newTestHTTP(t, &fakeRPC{}, nil), "PATCH", "/v1/jobs", "", nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("code %d", rec.Code)
	}
}

// validJobJSON is a job with every field the server needs set, so the test
// does not depend on Canonicalize's defaults.
func validJobJSON(t *testing.T, id string) string {
	t.Helper()
	b, err := json.Marshal(&api.JobRegisterRequest{Job: fullAPIJob(id)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRegister_RejectsBadRequests(t *testing.T) {
	cases := []struct {
		name, path, body, want string
	}{
		{"malformed json", "/v1/jobs", `{"Job": {"ID": "web",}`, "byte offset"},
		{"wrong type", "/v1/jobs", `{"Job": {"ID": "web", "TaskGroups": [{"Count": "three"}]}}`, `field "Job.TaskGroups.Count"`},
		{"truncated", "/v1/jobs", `{"Job": {"ID": "web"`, "unexpected end of input"},
		{"empty body", "/v1/jobs", ``, "request body is empty"},
		{"trailing data", "/v1/jobs", `{"Job": {"ID": "web"}} {}`, "unexpected data after the object"},
		{"missing job", "/v1/jobs", `{}`, "job is required"},
		{"missing id", "/v1/jobs", `{"Job": {"Name": "web"}}`, "job ID is required"},
		{"id mismatch", "/v1/job/api", validJobJSON(t, "web"), `the path has "api" but the body has "web"`},
		{"invalid job", "/v1/jobs", `{"Job": {"ID": "web", "Name": "web", "Type": "service", "Priority": 50, "Datacenters": ["dc1"]}}`, "TaskGroups: missing task groups"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rpc := &fakeRPC{}
			rec := do(t, newTestHTTP(t, rpc, nil), "PUT", tc.path, tc.body, nil)
			if rec.Code != 400 {
				t.Fatalf("code %d: %s", rec.Code, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("body %q does not contain %q", rec.Body, tc.want)
			}
			if rpc.callCount() != 0 {
				t.Fatalf("a rejected request made %d rpc calls", rpc.callCount())
			}
		})
	}
}

func TestRegister_Success(t *testing.T) {
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.JobRegisterRPC: func(a, r interface{}) error {
			out := r.(*structs.JobRegisterResponse)
			out.EvalID, out.EvalCreateIndex, out.JobModifyIndex = "eval-1", 11, 11
			return nil
		},
	}}
	rec := do(t, newTestHTTP(t, rpc, nil), "PUT", "/v1/job/web", validJobJSON(t, "web"),
		map[string]string{"Authorization": "Bearer tok"})
	if rec.Code != 200 {
		t.Fatalf("code %d: %s", rec.Code, rec.Body)
	}
	args := rpc.lastArgs(t).(*structs.JobRegisterRequest)
	if args.Job.ID != "web" || args.Namespace != "default" || args.AuthToken != "tok" {
		t.Fatalf("register args job=%q ns=%q token=%q", args.Job.ID, args.Namespace, args.AuthToken)
	}
	var out api.JobRegisterResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.EvalID != "eval-1" {
		t.Fatalf("body %s (%v)", rec.Body, err)
	}
	if rec.Header().Get("X-Nomad-Index") != "11" {
		t.Fatalf("index header %q", rec.Header().Get("X-Nomad-Index"))
	}
}

func TestAuthenticate(t *testing.T) {
	cases := []struct {
		name    string
		hdr     map[string]string
		want    string
		wantErr bool
	}{
		{name: "anonymous"},
		{name: "nomad header", hdr: map[string]string{"X-Nomad-Token": "a"}, want: "a"},
		{name: "bearer", hdr: map[string]string{"Authorization": "Bearer b"}, want: "b"},
		{name: "nomad header wins", hdr: map[string]string{"X-Nomad-Token": "a", "Authorization": "Bearer b"}, want: "a"},
		{name: "basic is refused", hdr: map[string]string{"Authorization": "Basic eA=="}, wantErr: true},
	}
	s := newTestHTTP(t, &fakeRPC{}, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/jobs", nil)
			for k, v := range tc.hdr {
				r.Header.Set(k, v)
			}
			id, err := s.authenticate(r)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && id.Token != tc.want {
				t.Fatalf("token %q, want %q", id.Token, tc.want)
			}
		})
	}
}

func TestDeregister_Purge(t *testing.T) {
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.JobDeregisterRPC: func(a, r interface{}) error {
			r.(*structs.JobDeregisterResponse).EvalID = "e2"
			return nil
		},
	}}
	rec := do(t, newTestHTTP(t, rpc, nil), "DELETE", "/v1/job/web?purge=true&namespace=prod", "", nil)
	if rec.Code != 200 {
		t.Fatalf("code %d: %s", rec.Code, rec.Body)
	}
	args := rpc.lastArgs(t).(*structs.JobDeregisterRequest)
	if args.JobID != "web" || !args.Purge || args.Namespace != "prod" {
		t.Fatalf("args %+v", args)
	}
}

// DELETE /v1/job/:id reads Nomad's no_shutdown_delay query parameter
// into the deregister request; absent means false.
func TestDeregister_NoShutdownDelay(t *testing.T) {
	cases := []struct {
		query       string
		wantNoDelay bool
		wantPurge   bool
	}{
		{"", false, false},
		{"?no_shutdown_delay=true", true, false},
		{"?no_shutdown_delay=false", false, false},
		{"?no_shutdown_delay=1&purge=true", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
				structs.JobDeregisterRPC: func(a, r interface{}) error { return nil },
			}}
			rec := do(t, newTestHTTP(t, rpc, nil), "DELETE", "/v1/job/web"+tc.query, "", nil)
			if rec.Code != 200 {
				t.Fatalf("code %d: %s", rec.Code, rec.Body)
			}
			args := rpc.lastArgs(t).(*structs.JobDeregisterRequest)
			if args.NoShutdownDelay != tc.wantNoDelay || args.Purge != tc.wantPurge {
				t.Fatalf("NoShutdownDelay %v Purge %v, want %v %v", args.NoShutdownDelay, args.Purge, tc.wantNoDelay, tc.wantPurge)
			}
		})
	}
}

func TestJobsParse(t *testing.T) {
	parser := func(name string, src, vars []byte) (*api.Job, error) {
		if strings.Contains(string(src), "broken") {
			return nil, errors.New("input.hcl:3,5-9: Unsupported argument; An argument named \"broken\" is not expected here.")
		}
		return &api.Job{ID: strPtr("web"), Meta: map[string]string{"vars": string(vars)}}, nil
	}
	cases := []struct {
		name, body string
		code       int
		want       string
	}{
		{"ok", `{"JobHCL": "job \"web\" {}"}`, 200, `"ID":"web"`},
		{"variables reach the parser", `{"JobHCL": "job \"web\" {}", "Variables": "n = 2\n"}`, 200, `"vars":"n = 2\n"`},
		{"parse error", `{"JobHCL": "job \"web\" { broken = 1 }"}`, 400, "input.hcl:3,5-9"},
		{"empty", `{"JobHCL": ""}`, 400, "JobHCL is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestHTTP(t, &fakeRPC{}, func(c *HTTPServerConfig) { c.Parser = parser })
			rec := do(t, s, "POST", "/v1/jobs/parse", tc.body, nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
		})
	}
}

type fakeAgent struct{ health *api.AgentHealthResponse }

func (f *fakeAgent) Self() *api.AgentSelf { return &api.AgentSelf{Member: api.AgentMember{Name: "a1"}} }
func (f *fakeAgent) Members() *api.ServerMembers {
	return &api.ServerMembers{ServerName: "a1", Members: []*api.AgentMember{{Name: "a1"}}}
}
func (f *fakeAgent) Health() *api.AgentHealthResponse { return f.health }

func TestAgentHealth(t *testing.T) {
	ok := &api.AgentHealth{Ok: true, Message: "ok"}
	bad := &api.AgentHealth{Ok: false, Message: "no servers"}
	cases := []struct {
		name string
		h    *api.AgentHealthResponse
		code int
	}{
		{"both ok", &api.AgentHealthResponse{Server: ok, Client: ok}, 200},
		{"server only", &api.AgentHealthResponse{Server: ok}, 200},
		{"client failing", &api.AgentHealthResponse{Server: ok, Client: bad}, 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestHTTP(t, &fakeRPC{}, func(c *HTTPServerConfig) { c.Agent = &fakeAgent{health: tc.h} })
			rec := do(t, s, "GET", "/v1/agent/health", "", nil)
			if rec.Code != tc.code {
				t.Fatalf("code %d: %s", rec.Code, rec.Body)
			}
			var got api.AgentHealthResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Server == nil || !got.Server.Ok {
				t.Fatalf("body %s (%v)", rec.Body, err)
			}
		})
	}
}

type fakeLogs struct {
	nodeID string
	data   string
	gotArg string
}

func (f *fakeLogs) NodeID() string { return f.nodeID }

func (f *fakeLogs) StreamLogs(ctx context.Context, allocID, task, logType, origin string, offset int64, follow bool, w io.Writer) error {
	f.gotArg = fmt.Sprintf("%s/%s/%s/%s/%d/%v", allocID, task, logType, origin, offset, follow)
	for _, part := range strings.SplitAfter(f.data, "\n") {
		if _, err := w.Write([]byte(part)); err != nil {
			return err
		}
	}
	return nil
}

func TestAllocLogs(t *testing.T) {
	node := mock.Node()
	// Port 1 on loopback: nothing listens there, so a forward fails fast.
	node.HTTPAddr = "127.0.0.1:1"
	alloc := mock.AllocFor(mock.Job(), node, 0)
	cases := []struct {
		name, query string
		localNode   string
		hdr         map[string]string
		code        int
		check       func(t *testing.T, body []byte, logs *fakeLogs)
	}{
		{
			name: "framed", query: "type=stdout&offset=3", localNode: node.ID, code: 200,
			check: func(t *testing.T, body []byte, logs *fakeLogs) {
				dec := json.NewDecoder(bytes.NewReader(body))
				var got strings.Builder
				var last api.StreamFrame
				for dec.More() {
					if err := dec.Decode(&last); err != nil {
						t.Fatal(err)
					}
					got.Write(last.Data)
				}
				if got.String() != "one\ntwo\n" || last.Offset != 7 || last.File != "alloc/logs/web.stdout" {
					t.Fatalf("data %q last frame %+v", got.String(), last)
				}
				if logs.gotArg != alloc.ID+"/web/stdout/start/3/false" {
					t.Fatalf("stream args %s", logs.gotArg)
				}
			},
		},
		{
			name: "plain", query: "task=web&type=stderr&plain=true&origin=end&follow=true", localNode: node.ID, code: 200,
			check: func(t *testing.T, body []byte, logs *fakeLogs) {
				if string(body) != "one\ntwo\n" {
					t.Fatalf("body %q", body)
				}
			},
		},
		{name: "other node, already forwarded once", query: "type=stdout", localNode: "elsewhere",
			hdr: map[string]string{forwardedHeader: "1"}, code: 400,
			check: func(t *testing.T, body []byte, _ *fakeLogs) {
				if !strings.Contains(string(body), "127.0.0.1:1") {
					t.Fatalf("body %q does not name the node's address", body)
				}
			}},
		{name: "other node whose agent is down", query: "type=stdout", localNode: "elsewhere", code: 502,
			check: func(t *testing.T, body []byte, _ *fakeLogs) {
				if !strings.Contains(string(body), "did not answer") {
					t.Fatalf("body %q does not say the node's agent did not answer", body)
				}
			}},
		{name: "bad type", query: "type=stdin", localNode: node.ID, code: 400},
		{name: "unknown task", query: "type=stdout&task=db", localNode: node.ID, code: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
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
			logs := &fakeLogs{nodeID: tc.localNode, data: "one\ntwo\n"}
			s := newTestHTTP(t, rpc, func(c *HTTPServerConfig) { c.Logs = logs })
			rec := do(t, s, "GET", "/v1/client/fs/logs/"+alloc.ID+"?"+tc.query, "", tc.hdr)
			if rec.Code != tc.code {
				t.Fatalf("code %d: %s", rec.Code, rec.Body)
			}
			if tc.check != nil {
				tc.check(t, rec.Body.Bytes(), logs)
			}
		})
	}
}

// TestAllocLogs_ForwardsToNode: an agent asked for the logs of an
// allocation on another node streams them from that node's agent.
func TestAllocLogs_ForwardsToNode(t *testing.T) {
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
	remoteLogs := &fakeLogs{nodeID: node.ID, data: "from the node\n"}
	remote := newTestHTTP(t, rpc, func(c *HTTPServerConfig) { c.Logs = remoteLogs })
	addr, err := remote.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = remote.Shutdown(context.Background()) })
	node.HTTPAddr = addr.String()

	local := newTestHTTP(t, rpc, func(c *HTTPServerConfig) { c.Logs = &fakeLogs{nodeID: "server-node"} })
	rec := do(t, local, "GET", "/v1/client/fs/logs/"+alloc.ID+"?type=stdout&plain=true&follow=true", "", nil)
	if rec.Code != 200 || rec.Body.String() != "from the node\n" {
		t.Fatalf("forwarded logs: code %d body %q", rec.Code, rec.Body)
	}
	if remoteLogs.gotArg != alloc.ID+"/web/stdout/start/0/true" {
		t.Fatalf("node agent streamed %s", remoteLogs.gotArg)
	}
}

func TestPretty(t *testing.T) {
	rpc := &fakeRPC{handlers: map[string]func(a, r interface{}) error{
		structs.StatusPeersRPC: func(a, r interface{}) error {
			r.(*structs.StatusPeersResponse).Peers = []string{"127.0.0.1:4647"}
			return nil
		},
	}}
	s := newTestHTTP(t, rpc, nil)
	if body := do(t, s, "GET", "/v1/status/peers?pretty", "", nil).Body.String(); !strings.Contains(body, "\n    \"127.0.0.1:4647\"") {
		t.Fatalf("pretty body %q", body)
	}
	if body := do(t, s, "GET", "/v1/status/peers", "", nil).Body.String(); body != `["127.0.0.1:4647"]` {
		t.Fatalf("compact body %q", body)
	}
}
