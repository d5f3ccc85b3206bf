package lb_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/client/servicewatch/servicewatchtest"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// load sends total GET requests to url from conc workers and returns the
// requests per second and the sorted latencies.
func load(t testing.TB, url string, total, conc int) (float64, []time.Duration) {
	tr := &http.Transport{MaxIdleConnsPerHost: conc}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	lat := make([]time.Duration, total)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < total; i += conc {
				t0 := time.Now()
				resp, err := c.Get(url)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
			}
		}(w)
	}
	wg.Wait()
	rps := float64(total) / time.Since(start).Seconds()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return rps, lat
}

func pct(lat []time.Duration, p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }

// TestMeasureLB reports the load balancer's throughput and added latency
// against a direct connection, and how long a catalog change takes to
// reach it. It asserts nothing about speed; run it with
// ORCH_LB_MEASURE=1 go test -run TestMeasureLB -v ./client/lb/
func TestMeasureLB(t *testing.T) {
	if os.Getenv("ORCH_LB_MEASURE") == "" {
		t.Skip("set ORCH_LB_MEASURE=1 to measure")
	}
	cat, ins := three(t, httpRR)
	m := startLB(t, cat)
	addr := published(t, m)
	const total, conc = 20000, 8
	load(t, ins[0].srv.URL, 2000, conc) // warm up
	load(t, "http://"+addr, 2000, conc)
	for _, conc := range []int{1, conc} {
		for _, c := range []struct{ name, url string }{{"direct", ins[0].srv.URL}, {"via lb", "http://" + addr}} {
			rps, lat := load(t, c.url, total, conc)
			fmt.Printf("%-7s %d requests, %d concurrent: %.0f req/s, p50 %v, p99 %v\n", c.name, total, conc, rps, pct(lat, 0.50), pct(lat, 0.99))
		}
	}

	// Catalog change → load balancer: an instance turned critical until
	// the pool no longer holds it.
	var took []time.Duration
	for i := 0; i < 50; i++ {
		status := structs.HealthCritical
		want := 2
		if i%2 == 1 {
			status, want = structs.HealthPassing, 3
		}
		t0 := time.Now()
		cat.SetStatus("reg-a", status)
		for m.Instances(webID) != want {
			if time.Since(t0) > 5*time.Second {
				t.Fatal("change never reached the load balancer")
			}
			time.Sleep(20 * time.Microsecond)
		}
		took = append(took, time.Since(t0))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	fmt.Printf("catalog change to load balancer (in-memory catalog, %d changes): p50 %v, max %v\n", len(took), pct(took, 0.5), took[len(took)-1])
}

// BenchmarkHTTPThroughLB is one proxied request per iteration.
func BenchmarkHTTPThroughLB(b *testing.B) {
	cat := servicewatchtest.New()
	in := newInstanceB(b, "a")
	cat.Upsert(in.reg(httpRR, structs.HealthPassing))
	m := startLB(b, cat)
	addr := published(b, m)
	c := &http.Client{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.Get("http://" + addr)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
