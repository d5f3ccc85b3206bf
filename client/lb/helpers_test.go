package lb_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/client/lb"
	"github.com/orch-dev/orch/client/servicewatch"
	"github.com/orch-dev/orch/nomadlike/structs"
)

var webID = servicewatch.ServiceID{Namespace: "default", Name: "web"}

// instance is a real local HTTP server standing in for one allocation.
type instance struct {
	name string
	srv  *httptest.Server
	hits atomic.Int64
	// hold, when set, makes /hold requests wait for it to close.
	hold    chan struct{}
	holding atomic.Int64
	lastXFF atomic.Value
}

func newInstance(t *testing.T, name string) *instance { return newInstanceB(t, name) }

func newInstanceB(t testing.TB, name string) *instance {
	t.Helper()
	in := &instance{name: name, hold: make(chan struct{})}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in.hits.Add(1)
		in.lastXFF.Store(r.Header.Get("X-Forwarded-For") + "|" + r.Header.Get("X-Forwarded-Host") + "|" + r.Header.Get("X-Forwarded-Proto"))
		if r.URL.Path == "/hold" {
			in.holding.Add(1)
			<-in.hold
		}
		fmt.Fprint(w, name)
	}))
	t.Cleanup(in.srv.Close)
	return in
}

// reg is the catalog registration of an instance.
func (in *instance) reg(spec *structs.ServicePublish, status string) *structs.ServiceRegistration {
	_, port, _ := net.SplitHostPort(in.srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return &structs.ServiceRegistration{
		ID: "reg-" + in.name, ServiceName: "web", Namespace: "default", AllocID: "alloc-" + in.name,
		Address: "127.0.0.1", Port: p, Status: status, Publish: spec,
	}
}

// startLB runs a Manager over cat whose published ports are free loopback
// ports, and returns it once web is published.
func startLB(t testing.TB, cat servicewatch.Catalog) *lb.Manager {
	t.Helper()
	w := servicewatch.New(servicewatch.Config{Catalog: cat})
	t.Cleanup(w.Stop)
	m := lb.New(lb.Config{
		Catalog: cat, Watcher: w, Bind: "127.0.0.1", DownFor: time.Second,
		Listen: func(network, _ string) (net.Listener, error) { return net.Listen(network, "127.0.0.1:0") },
		Logger: hclog.NewNullLogger(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

// pollUntil polls cond until it holds or a deadline passes.
func pollUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// published waits for web to be published and returns its address.
func published(t testing.TB, m *lb.Manager) string {
	t.Helper()
	pollUntil(t, "web published", func() bool { return m.Addr(webID) != "" })
	return m.Addr(webID)
}

var httpClient = &http.Client{Timeout: 5 * time.Second}

// get returns the body of GET http://addr/path.
func get(addr, path string) (string, error) {
	resp, err := httpClient.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return string(b), nil
}

func servicewatchtestID(name string) servicewatch.ServiceID {
	return servicewatch.ServiceID{Namespace: "default", Name: name}
}
