package api

import (
	"net/http"
	"reflect"
	"testing"
)

func TestAllocations_Stats(t *testing.T) {
	var gotPath, gotNS string
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotNS = r.URL.Path, r.URL.Query().Get("namespace")
		if r.URL.Path != "/v1/client/allocation/a1/stats" {
			http.Error(w, "alloc not found", http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(`{"ResourceUsage": {"MemoryStats": {"RSS": 2048, "Measured": ["RSS"]}, "CpuStats": {"Percent": 12.5, "TotalTicks": 300}},
			"Tasks": {"web": {"ResourceUsage": {"MemoryStats": {"RSS": 2048, "Cache": 1}, "CpuStats": {"Percent": 12.5, "UserMode": 10, "SystemMode": 2.5}},
			"Timestamp": 42, "Pids": {"7": null}}}, "Timestamp": 42}`))
	}))
	got, err := c.Allocations().Stats(&Allocation{ID: "a1"}, nil)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if gotPath != "/v1/client/allocation/a1/stats" || gotNS != "prod" {
		t.Errorf("request went to %s namespace %q", gotPath, gotNS)
	}
	want := &AllocResourceUsage{
		ResourceUsage: &ResourceUsage{MemoryStats: &MemoryStats{RSS: 2048, Measured: []string{"RSS"}}, CpuStats: &CpuStats{Percent: 12.5, TotalTicks: 300}},
		Tasks: map[string]*TaskResourceUsage{"web": {
			ResourceUsage: &ResourceUsage{MemoryStats: &MemoryStats{RSS: 2048, Cache: 1}, CpuStats: &CpuStats{Percent: 12.5, UserMode: 10, SystemMode: 2.5}},
			Timestamp:     42, Pids: map[string]*ResourceUsage{"7": nil},
		}},
		Timestamp: 42,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats =\n%#v\nwant\n%#v", got, want)
	}
	if _, err := c.Allocations().Stats(&Allocation{ID: "nope"}, nil); !IsNotFound(err) {
		t.Errorf("stats of an unknown allocation: %v, want not found", err)
	}
	if _, err := c.Allocations().Stats(nil, nil); err == nil {
		t.Error("Stats(nil) succeeded")
	}
}
