package nomadlike

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/orch-dev/orch/nomadlike/mock"
	"github.com/orch-dev/orch/nomadlike/structs"
)

// autoscalerHarness runs the autoscaler against an FSM on a fake clock;
// its scale decisions are applied through buildScale and the FSM, as
// Job.Scale applies them.
type autoscalerHarness struct {
	t       *testing.T
	clock   *fakeBrokerClock
	fsm     *FSM
	srv     *Server
	a       *autoscaler
	metrics *allocMetrics
	index   uint64
	job     *structs.Job
	allocs  []*structs.Allocation
}

func newAutoscalerHarness(t *testing.T, prometheus string, count int, cfg *structs.AutoscalePolicy) *autoscalerHarness {
	t.Helper()
	h := &autoscalerHarness{t: t, clock: newFakeBrokerClock(), fsm: testFSM(t, nil), metrics: newAllocMetrics(), index: 10}
	h.srv = &Server{fsm: h.fsm, config: &Config{Clock: h.clock}, logger: hclog.NewNullLogger(), allocMetrics: h.metrics}
	h.srv.config.Autoscaler.PrometheusAddress = prometheus
	h.a = newAutoscaler(h.srv)
	h.a.scale = func(req *structs.JobScaleRequest) error {
		apply, err := h.srv.buildScale(req)
		if err != nil {
			return err
		}
		h.index++
		msg := structs.ScalingEventRequestType
		if apply.Job != nil {
			msg = structs.JobScaleRequestType
		}
		mustApply(t, h.fsm, h.index, msg, apply)
		return nil
	}
	job := mock.Job()
	job.TaskGroups[0].Count = count
	job.TaskGroups[0].Scaling = &structs.ScalingPolicy{Enabled: true, Min: 1, Max: 3, Config: cfg}
	h.index++
	mustApply(t, h.fsm, h.index, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job})
	h.job, _ = h.fsm.State().JobByID(nil, job.Namespace, job.ID)
	node := mock.Node()
	for i := 0; i < count; i++ {
		h.allocs = append(h.allocs, mock.AllocFor(h.job, node, i))
	}
	h.index++
	mustApply(t, h.fsm, h.index, structs.ApplyPlanResultsRequestType,
		&structs.ApplyPlanResultsRequest{Job: h.job, AllocsUpdated: h.allocs})
	// The first pass only schedules the policy one interval ahead.
	h.a.pass(h.clock.Now())
	if len(h.events()) != 0 || h.count() != count {
		t.Fatal("the autoscaler acted on a policy it had just seen")
	}
	return h
}

func cpuPolicy(source, query string) *structs.AutoscalePolicy {
	return &structs.AutoscalePolicy{EvaluationInterval: time.Second, Cooldown: 10 * time.Second,
		ScaleDownStabilization: 5 * time.Second,
		Checks:                 []*structs.ScalingCheck{{Name: "cpu", Source: source, Query: query, Strategy: structs.ScalingStrategyTarget, Target: 50}}}
}

// sample reports cpu for every allocation now.
func (h *autoscalerHarness) sample(cpu float64) {
	var ms []*structs.AllocUsageMetric
	for _, a := range h.allocs {
		ms = append(ms, &structs.AllocUsageMetric{AllocID: a.ID, CPUPercent: cpu, RPS: -1})
	}
	h.metrics.add(h.clock.Now(), ms)
}

func (h *autoscalerHarness) count() int {
	j, err := h.fsm.State().JobByID(nil, h.job.Namespace, h.job.ID)
	if err != nil || j == nil {
		h.t.Fatalf("job: %v", err)
	}
	return j.TaskGroups[0].Count
}

func (h *autoscalerHarness) events() []*structs.ScalingEvent {
	e, err := h.fsm.State().ScalingEventsByJob(nil, h.job.Namespace, h.job.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	if e == nil {
		return nil
	}
	return e.ScalingEvents[h.job.TaskGroups[0].Name]
}

// place runs as many allocations as the group's count, as the scheduler
// and clients would.
func (h *autoscalerHarness) place() {
	job, _ := h.fsm.State().JobByID(nil, h.job.Namespace, h.job.ID)
	var fresh []*structs.Allocation
	for len(h.allocs) < job.TaskGroups[0].Count {
		a := mock.AllocFor(job, mock.Node(), len(h.allocs))
		h.allocs = append(h.allocs, a)
		fresh = append(fresh, a)
	}
	if len(fresh) > 0 {
		h.index++
		mustApply(h.t, h.fsm, h.index, structs.ApplyPlanResultsRequestType,
			&structs.ApplyPlanResultsRequest{Job: job, AllocsUpdated: fresh})
	}
}

// step advances the clock by d and runs one pass.
func (h *autoscalerHarness) step(d time.Duration) {
	h.clock.Advance(d)
	h.a.pass(h.clock.Now())
}

// TestAutoscaler_Episode runs a scale-up and scale-down episode on the
// orch source: up while loaded, held by the cooldown, down only after the
// stabilisation window, and never past max.
func TestAutoscaler_Episode(t *testing.T) {
	t.Parallel()
	h := newAutoscalerHarness(t, "", 1, cpuPolicy("orch", structs.QueryAvgCPUAllocated))
	h.sample(100)
	h.step(time.Second)
	if got := h.count(); got != 2 {
		t.Fatalf("count %d after a 100%% sample at target 50, want 2", got)
	}
	ev := h.events()
	if len(ev) != 1 || !strings.Contains(ev[0].Message, "scaling from 1 to 2") || !strings.Contains(ev[0].Message, `check "cpu"`) ||
		ev[0].EvalID == nil || ev[0].Meta[autoscalerMeta] != "true" {
		t.Fatalf("events %+v, want one scale-up with its reason and eval", ev)
	}
	// Still loaded, and the new allocation has no sample yet (counts as
	// at target): (100+50)/2 = 75 → 3, but the cooldown holds it.
	for i := 0; i < 5; i++ {
		h.sample(100)
		h.step(time.Second)
	}
	if got := h.count(); got != 2 {
		t.Fatalf("count %d during the cooldown, want 2", got)
	}
	h.clock.Advance(5 * time.Second)
	h.sample(1000)
	h.step(time.Second)
	if got := h.count(); got != 3 {
		t.Fatalf("count %d after the cooldown at 1000%%, want max 3", got)
	}
	h.place()
	// Load gone: the window holds the scale down until 5 s after the
	// last high recommendation, the cooldown until 10 s after the action.
	for i := 0; i < 9; i++ {
		h.sample(1)
		h.step(time.Second)
		if got := h.count(); got != 3 {
			t.Fatalf("step %d: count %d before cooldown and window passed, want 3", i, got)
		}
	}
	for i := 0; i < 10 && h.count() == 3; i++ {
		h.sample(1)
		h.step(time.Second)
	}
	if got := h.count(); got != 1 {
		t.Fatalf("count %d after the load stopped, want min 1", got)
	}
	for _, e := range h.events() {
		if e.Count != nil && (*e.Count < 1 || *e.Count > 3) {
			t.Fatalf("event outside bounds: %+v", e)
		}
	}
}

func TestAutoscaler_NoDecisionEvents(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	downURL := down.URL
	down.Close()
	cases := []struct {
		name     string
		prom     func(t *testing.T) string
		source   string
		query    string
		wantMsg  string
		wantUp   bool
		wantNone bool
	}{
		{name: "orch without samples", source: "orch", query: structs.QueryAvgCPUAllocated, wantMsg: `check "cpu": no samples`},
		{name: "prometheus unreachable", source: "prometheus", query: "up", prom: func(*testing.T) string { return downURL },
			wantMsg: "prometheus: query " + downURL},
		{name: "prometheus bad query", source: "prometheus", query: "sum(",
			prom:    promServer(`{"status":"error","errorType":"bad_data","error":"parse error at char 5"}`),
			wantMsg: `query "sum(" failed: bad_data: parse error`},
		{name: "prometheus two series", source: "prometheus", query: "up",
			prom:    promServer(`{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"]},{"value":[1,"2"]}]}}`),
			wantMsg: "returned 2 series"},
		{name: "prometheus not configured", source: "prometheus", query: "up", wantMsg: "no prometheus_address configured"},
		{name: "prometheus drives a scale up", source: "prometheus", query: "avg(load)",
			prom:   promServer(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"120"]}]}}`),
			wantUp: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := ""
			if tc.prom != nil {
				addr = tc.prom(t)
			}
			h := newAutoscalerHarness(t, addr, 1, cpuPolicy(tc.source, tc.query))
			h.step(time.Second)
			h.step(time.Second) // the same failure again is not recorded twice
			ev := h.events()
			if tc.wantUp {
				if h.count() != 3 || len(ev) != 1 || ev[0].Error {
					t.Fatalf("count %d, events %+v; want a scale to 3 (120/50 → ceil 2.4, bounded)", h.count(), ev)
				}
				return
			}
			if len(ev) != 1 || !ev[0].Error || ev[0].Count != nil || !strings.Contains(ev[0].Message, tc.wantMsg) {
				t.Fatalf("events %+v, want one error event containing %q", ev, tc.wantMsg)
			}
			if h.count() != 1 {
				t.Fatalf("count changed to %d without a decision", h.count())
			}
		})
	}
}

func promServer(body string) func(t *testing.T) string {
	return func(t *testing.T) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/api/v1/query" || r.URL.Query().Get("query") == "" {
				http.Error(w, fmt.Sprintf("unexpected request %s", r.URL), http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body)
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
}
