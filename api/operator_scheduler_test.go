package api

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

func TestOperator_SchedulerConfiguration(t *testing.T) {
	var gotQuery string
	var gotBody SchedulerConfiguration
	op := testOperator(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/operator/scheduler/configuration" {
			http.Error(w, "wrong route", http.StatusNotFound)
			return
		}
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("X-Nomad-Index", "12")
			_, _ = io.WriteString(w, `{"Index": 12, "KnownLeader": true, "SchedulerConfig": {"SchedulerAlgorithm": "spread",
				"PreemptionConfig": {"SystemSchedulerEnabled": true, "ServiceSchedulerEnabled": true},
				"CreateIndex": 5, "ModifyIndex": 12}}`)
		case http.MethodPut:
			gotQuery = r.URL.RawQuery
			if err := json.NewDecoder(r.Body).Decode(&gotBody); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("X-Nomad-Index", "13")
			_, _ = io.WriteString(w, `{"Updated": true, "Index": 13}`)
		default:
			http.Error(w, "wrong method", http.StatusMethodNotAllowed)
		}
	})
	got, qm, err := op.SchedulerGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := SchedulerConfiguration{SchedulerAlgorithm: SchedulerAlgorithmSpread, CreateIndex: 5, ModifyIndex: 12,
		PreemptionConfig: PreemptionConfig{SystemSchedulerEnabled: true, ServiceSchedulerEnabled: true}}
	if *got.SchedulerConfig != want || qm.LastIndex != 12 || got.LastIndex != 12 {
		t.Fatalf("get = %+v (meta %+v), want %+v at 12", got.SchedulerConfig, qm, want)
	}

	cases := []struct {
		name      string
		set       func(*SchedulerConfiguration) (*SchedulerSetConfigurationResponse, *WriteMeta, error)
		wantQuery string
	}{
		{"set", func(c *SchedulerConfiguration) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
			return op.SchedulerSetConfiguration(c, nil)
		}, ""},
		{"check-and-set sends the modify index", func(c *SchedulerConfiguration) (*SchedulerSetConfigurationResponse, *WriteMeta, error) {
			return op.SchedulerCASConfiguration(c, nil)
		}, "cas=12"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gotQuery = ""
			res, wm, err := tc.set(got.SchedulerConfig)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Updated || wm.LastIndex != 13 || res.LastIndex != 13 || gotQuery != tc.wantQuery || gotBody != want {
				t.Fatalf("result %+v meta %+v query %q body %+v", res, wm, gotQuery, gotBody)
			}
		})
	}
}
