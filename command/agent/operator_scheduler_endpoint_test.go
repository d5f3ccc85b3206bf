package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orch-dev/orch/api"
	"github.com/orch-dev/orch/nomadlike/nomadtest"
)

// waitSchedulerConfig waits for the leader to store the configuration and
// returns the GET body.
func waitSchedulerConfig(t *testing.T, h *HTTPServer) map[string]interface{} {
	t.Helper()
	var body map[string]interface{}
	nomadtest.WaitFor(t, 10*time.Second, func() error {
		rec := do(t, h, http.MethodGet, "/v1/operator/scheduler/configuration", "", nil)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("status %d: %s", rec.Code, rec.Body)
		}
		body = nil
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			return err
		}
		if idx, _ := body["Index"].(float64); idx == 0 || rec.Header().Get("X-Nomad-Index") != fmt.Sprint(idx) {
			return fmt.Errorf("index %v, header %q: not stored yet", body["Index"], rec.Header().Get("X-Nomad-Index"))
		}
		return nil
	})
	return body
}

func TestOperatorSchedulerConfigurationJSON(t *testing.T) {
	t.Parallel()
	_, h, _ := operatorAgent(t)
	body := waitSchedulerConfig(t, h)
	cfg, ok := body["SchedulerConfig"].(map[string]interface{})
	if !ok {
		t.Fatalf("body %v has no SchedulerConfig object", body)
	}
	// Nomad's keys and defaults, so Nomad's client and scripts read it.
	want := map[string]interface{}{
		"SchedulerAlgorithm": "binpack", "MemoryOversubscriptionEnabled": false,
		"RejectJobRegistration": false, "PauseEvalBroker": false,
		"PreemptionConfig": map[string]interface{}{"SystemSchedulerEnabled": true, "SysBatchSchedulerEnabled": false,
			"BatchSchedulerEnabled": false, "ServiceSchedulerEnabled": false},
	}
	for k, v := range want {
		if fmt.Sprint(cfg[k]) != fmt.Sprint(v) {
			t.Errorf("SchedulerConfig.%s = %v, want %v", k, cfg[k], v)
		}
	}
	if cfg["ModifyIndex"] != body["Index"] || cfg["CreateIndex"] == nil {
		t.Errorf("indexes %v / %v, want ModifyIndex = Index", cfg["ModifyIndex"], body["Index"])
	}
	if _, ok := body["KnownLeader"]; !ok {
		t.Errorf("body %v lacks KnownLeader", body)
	}
}

func TestOperatorSchedulerUpdate(t *testing.T) {
	t.Parallel()
	_, h, _ := operatorAgent(t)
	index := int(waitSchedulerConfig(t, h)["Index"].(float64))
	cases := []struct {
		name     string
		method   string
		query    string
		body     string
		wantCode int
		// wantBody is a substring of the answer.
		wantBody string
		wantAlg  string
	}{
		{"put sets", http.MethodPut, "", `{"SchedulerAlgorithm": "spread"}`, 200, `"Updated":true`, "spread"},
		{"post sets too", http.MethodPost, "", `{"SchedulerAlgorithm": "binpack", "PreemptionConfig": {"ServiceSchedulerEnabled": true}}`,
			200, `"Updated":true`, "binpack"},
		{"cas at a stale index is not applied", http.MethodPut, fmt.Sprintf("?cas=%d", index), `{"SchedulerAlgorithm": "spread"}`,
			200, `"Updated":false`, "binpack"},
		{"unknown algorithm", http.MethodPut, "", `{"SchedulerAlgorithm": "roundrobin"}`, 400,
			`SchedulerAlgorithm: "roundrobin" is not a scheduler algorithm: want "binpack" or "spread"`, "binpack"},
		{"pause eval broker", http.MethodPut, "", `{"PauseEvalBroker": true}`, 400, "PauseEvalBroker", "binpack"},
		{"unknown field", http.MethodPut, "", `{"SchedulerAlgorythm": "spread"}`, 400,
			"unknown field(s) in the scheduler configuration: SchedulerAlgorythm", "binpack"},
		{"unknown nested field", http.MethodPut, "", `{"PreemptionConfig": {"ServiceEnabled": true}}`, 400,
			"PreemptionConfig.ServiceEnabled", "binpack"},
		{"wrong type", http.MethodPut, "", `{"MemoryOversubscriptionEnabled": "yes"}`, 400,
			`"MemoryOversubscriptionEnabled"`, "binpack"},
		{"bad cas", http.MethodPut, "?cas=latest", `{}`, 400, `invalid cas "latest"`, "binpack"},
		{"empty body", http.MethodPut, "", ``, 400, "request body is empty", "binpack"},
	}
	for _, tc := range cases {
		// Steps build on each other: no t.Parallel.
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, tc.method, "/v1/operator/scheduler/configuration"+tc.query, tc.body, nil)
			if rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Fatalf("%d %s, want %d containing %q", rec.Code, rec.Body, tc.wantCode, tc.wantBody)
			}
			if tc.wantCode == 200 && rec.Header().Get("X-Nomad-Index") == "" {
				t.Fatal("no X-Nomad-Index header")
			}
			got := waitSchedulerConfig(t, h)["SchedulerConfig"].(map[string]interface{})
			if got["SchedulerAlgorithm"] != tc.wantAlg {
				t.Fatalf("stored algorithm %v, want %s", got["SchedulerAlgorithm"], tc.wantAlg)
			}
		})
	}
}

// TestOperatorSchedulerAPIClient drives the endpoint with the api client,
// check-and-set included, as the CLI does.
func TestOperatorSchedulerAPIClient(t *testing.T) {
	t.Parallel()
	_, h, client := operatorAgent(t)
	waitSchedulerConfig(t, h)
	op := client.Operator()
	got, qm, err := op.SchedulerGetConfiguration(nil)
	if err != nil || got.SchedulerConfig == nil || qm.LastIndex == 0 || got.SchedulerConfig.ModifyIndex != qm.LastIndex {
		t.Fatalf("get: %+v %+v %v", got, qm, err)
	}
	cfg := *got.SchedulerConfig
	cfg.SchedulerAlgorithm = api.SchedulerAlgorithmSpread
	cfg.PreemptionConfig.ServiceSchedulerEnabled = true
	res, wm, err := op.SchedulerCASConfiguration(&cfg, nil)
	if err != nil || !res.Updated || wm.LastIndex <= qm.LastIndex {
		t.Fatalf("cas: %+v %+v %v, want updated at a later index", res, wm, err)
	}
	// The same index again is now stale.
	if res, _, err := op.SchedulerCASConfiguration(&cfg, nil); err != nil || res.Updated {
		t.Fatalf("stale cas: %+v %v, want not updated", res, err)
	}
	after, _, err := op.SchedulerGetConfiguration(nil)
	if err != nil || after.SchedulerConfig.SchedulerAlgorithm != api.SchedulerAlgorithmSpread ||
		!after.SchedulerConfig.PreemptionConfig.ServiceSchedulerEnabled || after.SchedulerConfig.ModifyIndex != wm.LastIndex {
		t.Fatalf("after cas: %+v %v", after.SchedulerConfig, err)
	}
	if _, _, err := op.SchedulerSetConfiguration(&api.SchedulerConfiguration{SchedulerAlgorithm: "bogus"}, nil); err == nil ||
		!strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "SchedulerAlgorithm") {
		t.Fatalf("bad set: %v, want a 400 naming SchedulerAlgorithm", err)
	}
}
