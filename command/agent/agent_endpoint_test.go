package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-metrics"
	"github.com/prometheus/client_golang/prometheus"
)

func TestMetrics(t *testing.T) {
	inmem := metrics.NewInmemSink(time.Second, time.Minute)
	inmem.SetGauge([]string{"orch", "test_gauge"}, 7)
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "orch_test_gauge"})
	g.Set(7)
	reg.MustRegister(g)

	cases := []struct {
		name  string
		prom  prometheus.Gatherer
		query string
		code  int
		want  string
	}{
		{"json", nil, "", 200, `"Name":"orch.test_gauge","Value":7`},
		{"prometheus disabled", nil, "?format=prometheus", 400, "prometheus_metrics = true"},
		{"prometheus", reg, "?format=prometheus", 200, "orch_test_gauge 7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestHTTP(t, &fakeRPC{}, func(c *HTTPServerConfig) {
				c.Metrics, c.Prometheus = inmem, tc.prom
			})
			rec := do(t, s, "GET", "/v1/metrics"+tc.query, "", nil)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("got %d %s", rec.Code, rec.Body)
			}
		})
	}
}
