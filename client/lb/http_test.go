package lb_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/servicewatch/servicewatchtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

var httpRR = &structs.ServicePublish{Port: 18080, Mode: structs.PublishModeHTTP, Balance: structs.PublishBalanceRoundRobin}

// three registers a count-3 HTTP service.
func three(t *testing.T, spec *structs.ServicePublish) (*servicewatchtest.Catalog, []*instance) {
	cat := servicewatchtest.New()
	var ins []*instance
	for _, n := range []string{"a", "b", "c"} {
		in := newInstance(t, n)
		ins = append(ins, in)
		cat.Upsert(in.reg(spec, structs.HealthPassing))
	}
	return cat, ins
}

func TestHTTPReachesAllInstances(t *testing.T) {
	t.Parallel()
	cat, ins := three(t, httpRR)
	addr := published(t, startLB(t, cat))
	seen := map[string]int{}
	for i := 0; i < 30; i++ {
		body, err := get(addr, "/")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		seen[body]++
	}
	for _, in := range ins {
		if seen[in.name] != 10 {
			t.Errorf("round robin over 30 requests gave %v, want 10 each", seen)
			break
		}
	}
	got, _ := ins[0].lastXFF.Load().(string)
	if want := "127.0.0.1|" + addr + "|http"; got != want {
		t.Errorf("forwarding headers (for|host|proto) %q, want %q", got, want)
	}
}

func TestHTTPUnhealthyLeavesRotation(t *testing.T) {
	t.Parallel()
	cat, ins := three(t, httpRR)
	addr := published(t, startLB(t, cat))
	const checkInterval = time.Second
	cat.SetStatus("reg-b", structs.HealthCritical)
	flipped := time.Now()
	// Left rotation once 9 requests in a row (three rounds) avoid it.
	clean := 0
	for i := 0; clean < 9; i++ {
		if i > 1000 {
			t.Fatal("critical instance still in rotation after 1000 requests")
		}
		body, err := get(addr, "/")
		if err != nil {
			t.Fatal(err)
		}
		if body == "b" {
			clean = 0
		} else {
			clean++
		}
	}
	if took := time.Since(flipped); took > checkInterval {
		t.Fatalf("critical instance left rotation after %v, more than one check interval (%v)", took, checkInterval)
	}
	before := ins[1].hits.Load()
	for i := 0; i < 20; i++ {
		if _, err := get(addr, "/"); err != nil {
			t.Fatal(err)
		}
	}
	if ins[1].hits.Load() != before {
		t.Fatal("critical instance still receives requests")
	}
	cat.SetStatus("reg-b", structs.HealthPassing)
	pollUntil(t, "instance back in rotation", func() bool {
		body, err := get(addr, "/")
		return err == nil && body == "b"
	})
}

// TestHTTPRollingUpdateLosesNothing replaces v1 instances by v2 ones the
// way a rolling update does (one new one placed, one old one stopped, and
// again) while clients keep sending requests through the load balancer.
func TestHTTPRollingUpdateLosesNothing(t *testing.T) {
	t.Parallel()
	cat := servicewatchtest.New()
	var v1, v2 []*instance
	for _, n := range []string{"v1-a", "v1-b", "v1-c"} {
		in := newInstance(t, n)
		v1 = append(v1, in)
		cat.Upsert(in.reg(httpRR, structs.HealthPassing))
	}
	addr := published(t, startLB(t, cat))

	var failures, total atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20000; i++ { // bounded; normally ended by stop
				select {
				case <-stop:
					return
				default:
				}
				total.Add(1)
				if _, err := get(addr, "/"); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	waitRequests := func(n int64) {
		target := total.Load() + n
		pollUntil(t, "requests flowing", func() bool { return total.Load() >= target })
	}
	waitRequests(50)
	for i := range v1 {
		in := newInstance(t, strings.Replace(v1[i].name, "v1", "v2", 1))
		v2 = append(v2, in)
		cat.Upsert(in.reg(httpRR, structs.HealthPassing))
		waitRequests(30)
		if i%2 == 0 {
			// Deregistered first, then stopped (a shutdown delay).
			cat.Delete("reg-" + v1[i].name)
			waitRequests(30)
			v1[i].srv.Close()
		} else {
			// Stopped before the catalog hears of it: dials fail over.
			v1[i].srv.Close()
			waitRequests(30)
			cat.Delete("reg-" + v1[i].name)
		}
		waitRequests(30)
	}
	close(stop)
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Fatalf("%d of %d requests failed during the rolling update; first: %v", n, total.Load(), firstErr.Load())
	}
	for i := 0; i < 6; i++ {
		body, err := get(addr, "/")
		if err != nil || !strings.HasPrefix(body, "v2-") {
			t.Fatalf("after the update got %q, %v; want a v2 instance", body, err)
		}
	}
	t.Logf("%d requests, none failed", total.Load())
}

func TestHTTPLeastConn(t *testing.T) {
	t.Parallel()
	spec := &structs.ServicePublish{Port: 18081, Mode: structs.PublishModeHTTP, Balance: structs.PublishBalanceLeastConn}
	cat := servicewatchtest.New()
	a, b := newInstance(t, "a"), newInstance(t, "b")
	cat.Upsert(a.reg(spec, structs.HealthPassing), b.reg(spec, structs.HealthPassing))
	addr := published(t, startLB(t, cat))

	held := make(chan error, 1)
	go func() { _, err := get(addr, "/hold"); held <- err }()
	pollUntil(t, "a request held", func() bool { return a.holding.Load()+b.holding.Load() == 1 })
	busy, idle := a, b
	if b.holding.Load() == 1 {
		busy, idle = b, a
	}
	for i := 0; i < 10; i++ {
		body, err := get(addr, "/")
		if err != nil {
			t.Fatal(err)
		}
		if body != idle.name {
			t.Fatalf("request %d went to %s, which has a request in flight; want %s", i, body, idle.name)
		}
	}
	close(busy.hold)
	close(idle.hold)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
}

func TestHTTPClientIPAffinity(t *testing.T) {
	t.Parallel()
	spec := &structs.ServicePublish{Port: 18082, Mode: structs.PublishModeHTTP, ClientAffinity: structs.PublishAffinityClientIP}
	cat, _ := three(t, spec)
	addr := published(t, startLB(t, cat))
	first, err := get(addr, "/")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if body, err := get(addr, "/"); err != nil || body != first {
			t.Fatalf("request %d from the same client went to %q (%v), want %q", i, body, err, first)
		}
	}
	cat.SetStatus("reg-"+first, structs.HealthCritical)
	var moved string
	pollUntil(t, "client moved off the critical instance", func() bool {
		moved, err = get(addr, "/")
		return err == nil && moved != first
	})
	for i := 0; i < 20; i++ {
		if body, err := get(addr, "/"); err != nil || body != moved {
			t.Fatalf("after the move request %d went to %q (%v), want %q", i, body, err, moved)
		}
	}
}

func TestRequestRates(t *testing.T) {
	t.Parallel()
	cat, _ := three(t, httpRR)
	m := startLB(t, cat)
	addr := published(t, m)
	for i := 0; i < 30; i++ {
		if _, err := get(addr, "/"); err != nil {
			t.Fatal(err)
		}
	}
	rates := m.RequestRates()
	var sum float64
	for _, alloc := range []string{"alloc-a", "alloc-b", "alloc-c"} {
		if rates[alloc] <= 0 {
			t.Errorf("rate of %s is %v; rates %v", alloc, rates[alloc], rates)
		}
		sum += rates[alloc]
	}
	// 30 requests over the 10 s window.
	if sum != 3 {
		t.Errorf("rates sum to %v req/s, want 3 (30 requests / 10 s)", sum)
	}
}

// TestStrategyChangeKeepsListener: a new version changing only balance
// switches strategy without closing the published port.
func TestStrategyChangeKeepsListener(t *testing.T) {
	t.Parallel()
	cat := servicewatchtest.New()
	a, b := newInstance(t, "a"), newInstance(t, "b")
	cat.Upsert(a.reg(httpRR, structs.HealthPassing), b.reg(httpRR, structs.HealthPassing))
	m := startLB(t, cat)
	addr := published(t, m)
	aff := *httpRR
	aff.ClientAffinity = structs.PublishAffinityClientIP
	v2 := b.reg(&aff, structs.HealthPassing)
	v2.CreateIndex = 100 // the newer registration's publish block wins
	cat.Upsert(v2)
	pollUntil(t, "affinity in effect", func() bool {
		bodies := map[string]bool{}
		for i := 0; i < 6; i++ {
			body, err := get(addr, "/")
			if err != nil {
				t.Fatal(err)
			}
			bodies[body] = true
		}
		return len(bodies) == 1
	})
	if m.Addr(webID) != addr {
		t.Fatalf("listener moved from %s to %s", addr, m.Addr(webID))
	}
}

// TestHTTPUpgrade: a connection upgrade (as WebSocket does) is spliced
// through to the instance.
func TestHTTPUpgrade(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "want upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		brw.Flush()
		line, _ := brw.ReadString('\n')
		brw.WriteString("echo: " + line)
		brw.Flush()
	}))
	t.Cleanup(backend.Close)
	cat := servicewatchtest.New()
	_, port, _ := net.SplitHostPort(backend.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	cat.Upsert(&structs.ServiceRegistration{ID: "r", ServiceName: "web", Namespace: "default", AllocID: "a", Address: "127.0.0.1", Port: p, Status: structs.HealthPassing, Publish: httpRR})
	addr := published(t, startLB(t, cat))

	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: web\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade answer %v, %v", resp, err)
	}
	fmt.Fprintf(conn, "hello\n")
	if line, err := br.ReadString('\n'); err != nil || line != "echo: hello\n" {
		t.Fatalf("over the upgraded connection got %q, %v", line, err)
	}
}
