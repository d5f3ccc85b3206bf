package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDefaultConfig_Env(t *testing.T) {
	cases := []struct {
		name                 string
		env                  map[string]string
		addr, ns, tok, regio string
	}{
		{name: "defaults", addr: DefaultAddress},
		{
			name: "nomad fallback",
			env:  map[string]string{"NOMAD_ADDR": "http://n:1", "NOMAD_NAMESPACE": "nns", "NOMAD_TOKEN": "nt"},
			addr: "http://n:1", ns: "nns", tok: "nt",
		},
		{
			name: "orch wins over nomad",
			env: map[string]string{
				"NOMAD_ADDR": "http://n:1", "ORCH_ADDR": "http://o:2",
				"NOMAD_TOKEN": "nt", "ORCH_TOKEN": "ot",
				"NOMAD_NAMESPACE": "nns", "ORCH_NAMESPACE": "ons", "ORCH_REGION": "eu",
			},
			addr: "http://o:2", ns: "ons", tok: "ot", regio: "eu",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"ORCH_ADDR", "NOMAD_ADDR", "ORCH_TOKEN", "NOMAD_TOKEN",
				"ORCH_NAMESPACE", "NOMAD_NAMESPACE", "ORCH_REGION", "NOMAD_REGION"} {
				t.Setenv(k, tc.env[k])
			}
			cfg := DefaultConfig()
			if cfg.Address != tc.addr || cfg.Namespace != tc.ns || cfg.SecretID != tc.tok || cfg.Region != tc.regio {
				t.Fatalf("got addr=%q ns=%q token=%q region=%q", cfg.Address, cfg.Namespace, cfg.SecretID, cfg.Region)
			}
		})
	}
}

func TestNewClient_Address(t *testing.T) {
	cases := []struct {
		addr    string
		want    string
		wantErr string
	}{
		{addr: "127.0.0.1:4646", want: "http://127.0.0.1:4646"},
		{addr: "https://orch.example:443", want: "https://orch.example:443"},
		{addr: "ftp://x:1", wantErr: "scheme must be http or https"},
		{addr: "http://", wantErr: "host is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			c, err := NewClient(&Config{Address: tc.addr})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Address() != tc.want {
				t.Fatalf("address %q, want %q", c.Address(), tc.want)
			}
		})
	}
}

func newTestClient(t *testing.T, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(&Config{Address: srv.URL, Namespace: "prod", SecretID: "tok", ReadRetryMaxElapsed: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestQuery_BlockingOptionsAndMeta(t *testing.T) {
	var got *http.Request
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("X-Nomad-Index", "42")
		w.Header().Set("X-Nomad-KnownLeader", "true")
		w.Header().Set("X-Nomad-LastContact", "15")
		_ = json.NewEncoder(w).Encode([]*JobListStub{{ID: "web"}})
	}))
	jobs, qm, err := c.Jobs().List(&QueryOptions{WaitIndex: 7, WaitTime: 2 * time.Second, Prefix: "we", AllowStale: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != "web" {
		t.Fatalf("jobs = %+v", jobs)
	}
	if qm.LastIndex != 42 || !qm.KnownLeader || qm.LastContact != 15*time.Millisecond {
		t.Fatalf("meta = %+v", qm)
	}
	q := got.URL.Query()
	for k, want := range map[string]string{"index": "7", "wait": "2000ms", "prefix": "we", "namespace": "prod"} {
		if q.Get(k) != want {
			t.Errorf("param %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if _, ok := q["stale"]; !ok {
		t.Error("stale param missing")
	}
	if got.Header.Get("X-Nomad-Token") != "tok" {
		t.Errorf("token header = %q", got.Header.Get("X-Nomad-Token"))
	}
}

func TestErrors_NotFound(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "job not found", http.StatusNotFound)
	}))
	_, _, err := c.Jobs().Info("nope", nil)
	if !IsNotFound(err) {
		t.Fatalf("want not found, got %v", err)
	}
	if !strings.Contains(err.Error(), "job not found") {
		t.Fatalf("error lost the agent's message: %v", err)
	}
}

// flakyHandler drops the first n connections without answering, like an
// agent that is restarting.
func flakyHandler(n int32, calls *atomic.Int32, ok http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		ok(w, r)
	}
}

func TestRetry_OnlyReads(t *testing.T) {
	okJSON := func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{}`)) }
	cases := []struct {
		name      string
		call      func(c *Client) error
		wantErr   bool
		wantCalls int32
	}{
		{
			name:      "read is retried",
			call:      func(c *Client) error { _, _, err := c.Jobs().Summary("web", nil); return err },
			wantCalls: 3,
		},
		{
			name: "write is not retried",
			call: func(c *Client) error {
				_, _, err := c.Jobs().Register(&Job{}, nil)
				return err
			},
			wantErr:   true,
			wantCalls: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			c := newTestClient(t, flakyHandler(2, &calls, okJSON))
			err := tc.call(c)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if calls.Load() != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", calls.Load(), tc.wantCalls)
			}
		})
	}
}

func TestDeregister_Purge(t *testing.T) {
	var got *http.Request
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("X-Nomad-Index", "9")
		_, _ = w.Write([]byte(`{"EvalID":"e1"}`))
	}))
	evalID, wm, err := c.Jobs().Deregister("web/1", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if evalID != "e1" || wm.LastIndex != 9 {
		t.Fatalf("eval %q meta %+v", evalID, wm)
	}
	if got.Method != http.MethodDelete || got.URL.EscapedPath() != "/v1/job/web%2F1" || got.URL.Query().Get("purge") != "true" {
		t.Fatalf("request %s %s", got.Method, got.URL)
	}
}

// DeregisterOpts sends each option as Nomad's query parameter and leaves
// unset ones out of the query.
func TestDeregisterOpts_QueryParams(t *testing.T) {
	cases := []struct {
		name string
		opts *DeregisterOptions
		want url.Values
	}{
		{"nil options", nil, url.Values{}},
		{"no shutdown delay", &DeregisterOptions{NoShutdownDelay: true}, url.Values{"no_shutdown_delay": {"true"}}},
		{"purge and no shutdown delay", &DeregisterOptions{Purge: true, NoShutdownDelay: true},
			url.Values{"purge": {"true"}, "no_shutdown_delay": {"true"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got url.Values
			c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.URL.Query()
				got.Del("namespace") // the test client's
				_, _ = w.Write([]byte(`{"EvalID":"e1"}`))
			}))
			if _, _, err := c.Jobs().DeregisterOpts("web", tc.opts, nil); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("query %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLogs_DecodesFrames(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/client/fs/logs/a1" || r.URL.Query().Get("task") != "web" || r.URL.Query().Get("type") != "stderr" {
			http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		enc := json.NewEncoder(w)
		_ = enc.Encode(&StreamFrame{Data: []byte("hello "), File: "alloc/logs/web.stderr.0"})
		_ = enc.Encode(&StreamFrame{})
		_ = enc.Encode(&StreamFrame{Data: []byte("world"), Offset: 6})
	}))
	cancel := make(chan struct{})
	defer close(cancel)
	frames, errs := c.AllocFS().Logs(&Allocation{ID: "a1"}, false, "web", "stderr", OriginStart, 0, cancel, nil)
	var out strings.Builder
	for f := range frames {
		out.Write(f.Data)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello world" {
		t.Fatalf("logs = %q", out.String())
	}
}

func TestLogs_ErrorFromAgent(t *testing.T) {
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "allocation is on node 10.0.0.2:4646", http.StatusBadRequest)
	}))
	frames, errs := c.AllocFS().Logs(&Allocation{ID: "a1"}, true, "web", "stdout", OriginStart, 0, nil, nil)
	for range frames {
		t.Fatal("unexpected frame")
	}
	err := <-errs
	if err == nil || !strings.Contains(err.Error(), "10.0.0.2:4646") {
		t.Fatalf("err = %v", err)
	}
}
