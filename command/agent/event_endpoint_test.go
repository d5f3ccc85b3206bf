package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	nomad "github.com/hashicorp/nomad/api"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike"
	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// eventAgent serves the HTTP API, event stream included, over a dev
// server with scheduling workers.
func eventAgent(t *testing.T, mod func(*HTTPServerConfig)) (*nomadlike.Server, *httptest.Server) {
	t.Helper()
	srv := nomadtest.TestServer(t, nil)
	cfg := &HTTPServerConfig{Logger: testLogger(t), RPC: srv, Region: "global", Events: srv}
	if mod != nil {
		mod(cfg)
	}
	h, err := NewHTTPServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

// placeJob registers a node and a job of count 2 that fits on it.
func placeJob(t *testing.T, srv *nomadlike.Server) *structs.Job {
	t.Helper()
	var reg structs.NodeUpdateResponse
	if err := srv.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: mock.Node()}, &reg); err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 2
	var resp structs.JobRegisterResponse
	if err := srv.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &resp); err != nil {
		t.Fatal(err)
	}
	return job
}

// streamLine is one line of the ndjson stream, decoded loosely so the
// test sees the wire shape rather than orch's own types.
type streamLine struct {
	Index  uint64
	Events []struct {
		Topic, Type, Key, Namespace string
		FilterKeys                  []string
		Index                       uint64
		Payload                     map[string]json.RawMessage
	}
}

// TestEventStreamHTTP reads the raw ndjson stream while a job is
// registered and placed: Job, Evaluation and Allocation events arrive
// in index order, each payload under its kind, and the evaluation that
// placed carries its allocations' job in FilterKeys.
func TestEventStreamHTTP(t *testing.T) {
	t.Parallel()
	srv, ts := eventAgent(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet,
		ts.URL+"/v1/event/stream?topic=Job&topic=Evaluation&topic=Allocation", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	job := placeJob(t, srv)

	seen := map[string]bool{}
	var last uint64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for !(seen["Job JobRegistered"] && seen["Evaluation JobRegistered"] && seen["Allocation PlanResult"] &&
		seen["Evaluation EvaluationUpdated"]) {
		if !sc.Scan() {
			t.Fatalf("stream ended (%v) having seen %v", sc.Err(), seen)
		}
		var line streamLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if line.Index <= last {
			t.Fatalf("index %d after %d: not in index order", line.Index, last)
		}
		last = line.Index
		for _, e := range line.Events {
			if e.Index != line.Index || e.Namespace != "default" {
				t.Fatalf("event %+v in batch %d", e, line.Index)
			}
			if _, ok := e.Payload[e.Topic]; !ok {
				t.Fatalf("%s event payload has keys %v, want %q", e.Topic, mapKeys(e.Payload), e.Topic)
			}
			if e.Topic != "Job" && (len(e.FilterKeys) == 0 || e.FilterKeys[0] != job.ID) {
				t.Fatalf("%s event FilterKeys %v, want the job ID", e.Topic, e.FilterKeys)
			}
			seen[e.Topic+" "+e.Type] = true
		}
	}
}

func mapKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestEventStreamPlacementFailure shows what a deploy bot sees when a job
// does not fit: the evaluation event explains it with FailedTGAllocs.
func TestEventStreamPlacementFailure(t *testing.T) {
	t.Parallel()
	srv, ts := eventAgent(t, nil)
	client, err := api.NewClient(&api.Config{Address: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	job := mock.Job()
	job.TaskGroups[0].Count = 1
	job.TaskGroups[0].Tasks[0].Resources.MemoryMB = 1 << 20
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := client.EventStream().Stream(ctx, map[api.Topic][]string{api.TopicEvaluation: {job.ID}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	var reg structs.NodeUpdateResponse
	if err := srv.RPC(structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: mock.Node()}, &reg); err != nil {
		t.Fatal(err)
	}
	var resp structs.JobRegisterResponse
	if err := srv.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &resp); err != nil {
		t.Fatal(err)
	}
	for events := range ch {
		if events.Err != nil {
			t.Fatal(events.Err)
		}
		for _, e := range events.Events {
			eval, err := e.Evaluation()
			if err != nil {
				t.Fatal(err)
			}
			if eval.JobID != job.ID {
				t.Fatalf("event for job %s, want only %s", eval.JobID, job.ID)
			}
			m := eval.FailedTGAllocs["web"]
			if m == nil {
				continue
			}
			if m.NodesEvaluated != 1 || m.NodesExhausted != 1 || m.DimensionExhausted["memory"] != 1 {
				t.Fatalf("placement failure %+v, want one node exhausted on memory", m)
			}
			return
		}
	}
	t.Fatal("stream closed before the failed evaluation")
}

// TestEventStreamNomadClient decodes the stream with HashiCorp's Nomad Go
// client, as an existing tool would.
func TestEventStreamNomadClient(t *testing.T) {
	t.Parallel()
	srv, ts := eventAgent(t, nil)
	c, err := nomad.NewClient(&nomad.Config{Address: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	topics := map[nomad.Topic][]string{nomad.TopicJob: {"*"}, nomad.TopicAllocation: {"*"}, nomad.TopicNode: {"*"}}
	ch, err := c.EventStream().Stream(ctx, topics, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	job := placeJob(t, srv)
	var gotJob, gotNode bool
	allocs := map[string]bool{}
	for events := range ch {
		if events.Err != nil {
			t.Fatal(events.Err)
		}
		for _, e := range events.Events {
			switch e.Topic {
			case nomad.TopicJob:
				j, err := e.Job()
				if err != nil || j == nil || *j.ID != job.ID {
					t.Fatalf("job event: %v %v", j, err)
				}
				gotJob = true
			case nomad.TopicNode:
				n, err := e.Node()
				if err != nil || n == nil || n.Status == "" || e.Type != "NodeRegistration" {
					t.Fatalf("node event %s: %+v %v", e.Type, n, err)
				}
				gotNode = true
			case nomad.TopicAllocation:
				a, err := e.Allocation()
				if err != nil || a == nil || a.JobID != job.ID {
					t.Fatalf("allocation event: %+v %v", a, err)
				}
				allocs[a.ID] = true
			}
		}
		if gotJob && gotNode && len(allocs) == 2 {
			return
		}
	}
	t.Fatalf("stream closed: job %v node %v allocs %d", gotJob, gotNode, len(allocs))
}

func TestEventStreamHeartbeatAndErrors(t *testing.T) {
	t.Parallel()
	_, ts := eventAgent(t, func(c *HTTPServerConfig) { c.EventHeartbeat = 20 * time.Millisecond })
	t.Run("heartbeat", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Index far ahead: nothing buffered qualifies, so only
		// heartbeats come.
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/v1/event/stream?index=1000000", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || line != "{}\n" {
			t.Fatalf("first line %q (%v), want the {} heartbeat", line, err)
		}
	})
	cases := []struct {
		query string
		want  string
	}{
		{"index=-1", "invalid index"},
		{"topic=Job:web:x", "invalid topic"},
		{"topic=:web", "invalid topic"},
		{"topic=Job:", "invalid topic"},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := http.Get(ts.URL + "/v1/event/stream?" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body strings.Builder
			_, _ = bufio.NewReader(resp.Body).WriteTo(&body)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body.String(), tc.want) {
				t.Fatalf("status %d body %q, want 400 mentioning %q", resp.StatusCode, body.String(), tc.want)
			}
		})
	}
}

func TestEventStreamUnavailable(t *testing.T) {
	t.Parallel()
	disabled := nomadtest.TestServer(t, func(c *nomadlike.Config) {
		c.NumSchedulers, c.EventBufferSize = -1, -1
	})
	cases := []struct {
		name   string
		events EventSubscriber
		want   string
	}{
		{"client-only agent", nil, "server agents"},
		{"disabled on the server", disabled, "enable_event_broker = false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestHTTP(t, &fakeRPC{}, func(c *HTTPServerConfig) { c.Events = tc.events })
			rec := do(t, s, http.MethodGet, "/v1/event/stream", "", nil)
			if rec.Code != http.StatusNotImplemented || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestParseEventRequest(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/v1/event/stream?topic=Job:web&topic=Job:api&topic=Evaluation&index=7&namespace=prod", nil)
	req, err := parseEventRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%v %d %s", req.Topics, req.Index, req.Namespace)
	if want := "map[Evaluation:[*] Job:[web api]] 7 prod"; got != want {
		t.Fatalf("parsed %s, want %s", got, want)
	}
}

// TestEventStreamEndsOnShutdown: an open stream must not hold the agent's
// shutdown until its deadline.
func TestEventStreamEndsOnShutdown(t *testing.T) {
	t.Parallel()
	srv := nomadtest.TestServer(t, func(c *nomadlike.Config) { c.NumSchedulers = -1 })
	h, err := NewHTTPServer(&HTTPServerConfig{Logger: testLogger(t), RPC: srv, Region: "global", Events: srv})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := h.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/v1/event/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an open stream: %v", err)
	}
}
